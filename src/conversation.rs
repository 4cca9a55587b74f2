//! Conversations: one [`Conversation`] per chat remembers what the customer said (slots),
//! resolves relative dates against each message's own time, and scores whether the
//! customer should be handed to a person ([`Escalation`]).
//!
//! Each turn is analysed by an [`Analyzer`] as usual; the conversation adds, for customer
//! turns, an escalation signal built from the conversation rather than the one message
//! (frustration is sticky across turns, and behaviour such as rephrasing or a bot repeating
//! itself says more than the words) and the latest value of every entity type mentioned.
//!
//! ```no_run
//! use tolka::Analyzer;
//! use tolka::conversation::{Conversation, TurnInput};
//!
//! let analyzer = Analyzer::from_dir("models/commerce-en")?;
//! let mut chat = Conversation::new();
//! chat.turn(&analyzer, TurnInput::customer("Where is my order #A-10293?"))?;
//! chat.turn(&analyzer, TurnInput::agent("It ships on Friday."))?;
//! let turn = chat.turn(&analyzer, TurnInput::customer("This is useless, let me talk to a human"))?;
//! let escalation = turn.escalation.unwrap();
//! assert!(escalation.escalate);
//! println!("{:?} {}", escalation.reasons, turn.slots.unwrap()["order_id"].text);
//! # Ok::<(), tolka::Error>(())
//! ```
//!
//! The state is a serde value with a format version: keep it between messages in a session
//! store with [`Conversation::to_json`] and [`Conversation::from_json`]. It holds the slots and
//! a few numbers per speaker (the frustration average, the failure streak, the last
//! message's embedding and word hashes), never the messages; with
//! [`Conversation::redacting`], no card, personal identity number, IBAN, e-mail address or
//! phone number reaches the state or any result.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::analyzer::{Analysis, Analyzer};
use crate::error::{Error, Result};
use crate::rules::{Context, Value};

/// The version of the JSON state that this tolka writes and reads.
pub const STATE_VERSION: u32 = 1;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    /// The shopper: their turns get an escalation signal and fill the slots.
    Customer,
    /// The bot or a human agent: their turns feed the repeated-answer cue.
    Agent,
}

/// One message to analyse in a conversation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TurnInput<'a> {
    pub text: &'a str,
    pub speaker: Speaker,
    /// When the message was written: relative dates ("tomorrow", "on Monday") resolve
    /// against it, in its offset. `None` is now, in the machine's time zone.
    pub time: Option<DateTime<FixedOffset>>,
}

impl<'a> TurnInput<'a> {
    /// A customer message written now.
    pub fn customer(text: &'a str) -> Self {
        Self {
            text,
            speaker: Speaker::Customer,
            time: None,
        }
    }

    /// An agent (bot or person) message written now.
    pub fn agent(text: &'a str) -> Self {
        Self {
            text,
            speaker: Speaker::Agent,
            time: None,
        }
    }

    /// The same message, written at `time`.
    pub fn at(self, time: DateTime<FixedOffset>) -> Self {
        Self {
            time: Some(time),
            ..self
        }
    }
}

/// Why a conversation should go to a person. Serialised in snake case (`human_requested`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// The customer asks for a person: an intent of
    /// [`EscalationConfig::human_intents`] (`contact_human_agent`), or words such as
    /// "agent", "a real person", "representative", "människa", "handläggare".
    HumanRequested,
    /// The customer threatens to leave ("never order from you again", "handlar aldrig mer
    /// här"), to complain to their bank or an authority (chargeback, "my bank", consumer
    /// protection, ARN, Konsumentverket) or to post bad reviews (Trustpilot, "bad review",
    /// "dålig recension").
    Threat,
    /// Frustration rising or sustained over the customer's recent turns: the running
    /// average of negative sentiment and the frustration emotions (see
    /// [`EscalationConfig::frustration_decay`]).
    Frustration,
    /// The conversation keeps failing: the customer rephrases the same request, the model
    /// does not understand two consecutive turns (out of scope or low confidence), or the agent
    /// repeats the same answer (see [`EscalationConfig::failure_weight`]).
    RepeatedFailure,
}

/// The escalation signal of one customer turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    /// Whether `score` reached [`EscalationConfig::threshold`].
    pub escalate: bool,
    /// In [0, 1]: `1 − Π (1 − c)` over the strengths `c` of the four reasons (a request for
    /// a person or a threat is 1, frustration its running average, repeated failure
    /// `failure_weight` per cue in the current streak, at most 1).
    pub score: f32,
    /// The reasons whose strength reaches [`EscalationConfig::reason_floor`], strongest
    /// first.
    pub reasons: Vec<EscalationReason>,
}

/// The latest value of one entity type in a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    /// The entity's text (its placeholder for personal data in a redacting conversation).
    pub text: String,
    /// The normalised value, when the entity has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The index of the turn it came from (turns of both speakers count, from 0).
    pub turn: usize,
}

/// The analysis of one turn of a [`Conversation`]; in JSON, the [`Analysis`] fields with
/// `turn`, `escalation` and `slots` beside them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnAnalysis {
    /// The index of this turn in the conversation, from 0.
    pub turn: usize,
    #[serde(flatten)]
    pub analysis: Analysis,
    /// The text with personal data replaced by placeholders (redacting conversations only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted_text: Option<String>,
    /// Customer turns only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
    /// The slots after this turn, by entity label (customer turns only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<BTreeMap<String, Slot>>,
}

/// Thresholds of the escalation signal. Every field has a default (`#[serde(default)]`).
///
/// The defaults were chosen on hand-written conversations (not the tests): one strongly
/// negative message does not escalate, two in a row do; a single misunderstanding or
/// rephrasing does not, a rephrasing of a request the bot did not understand does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EscalationConfig {
    /// Escalate when the score reaches it. Default 0.65: two customer turns in a row with a
    /// negativity of about 0.87 or more (or a person asked for, or a threat) reach it.
    pub threshold: f32,
    /// A reason is listed when its strength reaches it. Default 0.3.
    pub reason_floor: f32,
    /// Intents that ask for a person. Default `["contact_human_agent"]`.
    pub human_intents: Vec<String>,
    /// Emotions (of models with an emotion head) that count as frustration, with their
    /// probability. Default `["anger", "annoyance", "disappointment"]` (GoEmotions labels).
    pub frustration_emotions: Vec<String>,
    /// Frustration is a running average over customer turns: `F ← d·F + (1 − d)·n`, where `n`
    /// is the turn's negativity (the larger of `−sentiment.score` and the frustration
    /// emotions' probabilities, at least 0). Default `d` = 0.5: one fully negative turn gives
    /// 0.5, two give 0.75.
    pub frustration_decay: f32,
    /// The strength of repeated failure per failure cue in the current streak of customer
    /// turns with a cue (a turn without one ends the streak). Default 0.3: three cues
    /// reach 0.9.
    pub failure_weight: f32,
    /// A customer turn whose intent is below this confidence (or out of scope), right after
    /// another such turn, is a failure cue. Default 0.5.
    pub low_confidence: f32,
    /// Two messages of a speaker (three words or more each) are the same request when the
    /// Jaccard overlap of their words reaches `rephrase_overlap` (default 0.5), or half of it
    /// with their embeddings' cosine reaching `rephrase_similarity` (default 0.9).
    pub rephrase_similarity: f32,
    /// See `rephrase_similarity`.
    pub rephrase_overlap: f32,
}

impl Default for EscalationConfig {
    fn default() -> Self {
        Self {
            threshold: 0.65,
            reason_floor: 0.3,
            human_intents: vec!["contact_human_agent".to_owned()],
            frustration_emotions: ["anger", "annoyance", "disappointment"]
                .map(str::to_owned)
                .to_vec(),
            frustration_decay: 0.5,
            failure_weight: 0.3,
            low_confidence: 0.5,
            rephrase_similarity: 0.9,
            rephrase_overlap: 0.5,
        }
    }
}

/// The state of one chat: slots and the escalation signal's memory.
///
/// Serialises (serde) with `"version": 1`; state of another version does not deserialise
/// ([`Conversation::from_json`] says [`Error::StateVersion`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    version: Version,
    #[serde(default)]
    redact: bool,
    #[serde(default)]
    config: EscalationConfig,
    /// Turns so far (both speakers).
    turns: usize,
    slots: BTreeMap<String, Slot>,
    /// Running average of the customer's negativity.
    frustration: f32,
    /// Failure cues in the current streak of customer turns.
    failures: u32,
    /// Whether an agent repeated an answer since the last customer turn.
    agent_repeated: bool,
    /// Whether the last customer turn was out of scope or of low confidence.
    #[serde(default)]
    not_understood: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_customer: Option<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_agent: Option<Message>,
}

/// A turn analysed by [`Conversation::prepare`], waiting to be added to its conversation with
/// [`Conversation::turn_prepared`]. It holds the analysis and what the escalation signal
/// needs of the message (its embedding, word hashes and two flags), not the message.
#[derive(Debug, Clone)]
pub struct PreparedTurn {
    speaker: Speaker,
    redact: bool,
    analysis: Analysis,
    redacted_text: Option<String>,
    message: Message,
    /// Whether the words ask for a person.
    asks_for_person: bool,
    /// Whether the words threaten to leave, complain or post reviews.
    threat: bool,
}

impl PreparedTurn {
    /// The turn's analysis (with personal data taken out when prepared with `redact`).
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }
}

/// What is remembered of a speaker's last message: its embedding and the hashes of its words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Message {
    embedding: Vec<f32>,
    words: Vec<u64>,
}

impl Default for Conversation {
    fn default() -> Self {
        Self::new()
    }
}

impl Conversation {
    /// A new conversation with the default [`EscalationConfig`], not redacting.
    pub fn new() -> Self {
        Self {
            version: Version,
            redact: false,
            config: EscalationConfig::default(),
            turns: 0,
            slots: BTreeMap::new(),
            frustration: 0.0,
            failures: 0,
            agent_repeated: false,
            not_understood: false,
            last_customer: None,
            last_agent: None,
        }
    }

    /// The same conversation with other escalation thresholds.
    pub fn with_config(self, config: EscalationConfig) -> Self {
        Self { config, ..self }
    }

    /// The same conversation, keeping no personal data when `redact` is true: card numbers,
    /// personal identity numbers, IBANs, e-mail addresses and phone numbers become
    /// placeholders in every entity, slot and result, and never reach the state. The
    /// analysis still reads the original text, so intents and sentiment do not change.
    pub fn redacting(self, redact: bool) -> Self {
        Self { redact, ..self }
    }

    /// The escalation thresholds.
    pub fn config(&self) -> &EscalationConfig {
        &self.config
    }

    /// The latest value of each entity type the customer mentioned, by label.
    pub fn slots(&self) -> &BTreeMap<String, Slot> {
        &self.slots
    }

    /// Analyses the next message of the conversation.
    ///
    /// On an error the conversation is unchanged.
    pub fn turn(&mut self, analyzer: &Analyzer, input: TurnInput<'_>) -> Result<TurnAnalysis> {
        let prepared = Self::prepare(analyzer, &[input], self.redact)?
            .pop()
            .expect("one prepared turn per input");
        self.turn_prepared(prepared)
    }

    /// Analyses the messages of many conversations in one encoder pass (what
    /// [`Conversation::turn`] does for one), for [`Conversation::turn_prepared`] to add each
    /// to its conversation in order: the way to tag a transcript of interleaved chats at
    /// batch speed. `redact` must be the [`Conversation::redacting`] setting of the
    /// conversations the turns go to.
    ///
    /// ```no_run
    /// use tolka::Analyzer;
    /// use tolka::conversation::{Conversation, TurnInput};
    ///
    /// let analyzer = Analyzer::from_dir("models/commerce-en")?;
    /// let (mut a, mut b) = (Conversation::new(), Conversation::new());
    /// let inputs = [TurnInput::customer("where is my order?"), TurnInput::customer("hej!")];
    /// let mut prepared = Conversation::prepare(&analyzer, &inputs, false)?.into_iter();
    /// a.turn_prepared(prepared.next().unwrap())?;
    /// b.turn_prepared(prepared.next().unwrap())?;
    /// # Ok::<(), tolka::Error>(())
    /// ```
    pub fn prepare(
        analyzer: &Analyzer,
        inputs: &[TurnInput<'_>],
        redact: bool,
    ) -> Result<Vec<PreparedTurn>> {
        let now = chrono::Local::now().fixed_offset();
        let texts: Vec<&str> = inputs.iter().map(|input| input.text).collect();
        let contexts: Vec<Context> = inputs
            .iter()
            .map(|input| Context::new(input.time.unwrap_or(now)))
            .collect();
        let (mut analyses, mut embeddings) = analyzer.analyze_embedded_each(&texts, &contexts)?;
        let mut redacted: Vec<Option<String>> = vec![None; inputs.len()];
        if redact {
            let mut reembed = Vec::new();
            for (i, (text, analysis)) in texts.iter().zip(&mut analyses).enumerate() {
                let redaction = analyzer.redact_analysis(text, analysis);
                if !redaction.entities.is_empty() {
                    reembed.push(i);
                }
                redacted[i] = Some(redaction.text);
            }
            if !reembed.is_empty() {
                // Not even the embedding of the personal data is kept.
                let clean: Vec<&str> = reembed
                    .iter()
                    .map(|&i| redacted[i].as_deref().unwrap_or_default())
                    .collect();
                let rows = analyzer.embed(&clean)?;
                for (row, &i) in reembed.iter().enumerate() {
                    embeddings[i] = rows.row(row).to_vec();
                }
            }
        }
        Ok(inputs
            .iter()
            .zip(analyses)
            .zip(embeddings)
            .zip(redacted)
            .map(|(((input, analysis), embedding), redacted_text)| {
                let words = word_hashes(redacted_text.as_deref().unwrap_or(input.text));
                PreparedTurn {
                    speaker: input.speaker,
                    redact,
                    asks_for_person: HUMAN.is_match(input.text),
                    threat: THREAT.is_match(input.text) || THREAT_CASED.is_match(input.text),
                    analysis,
                    redacted_text,
                    message: Message { embedding, words },
                }
            })
            .collect())
    }

    /// Adds a turn of [`Conversation::prepare`] to the conversation: the result
    /// [`Conversation::turn`] gives for the same input.
    ///
    /// Errors with [`Error::Config`] (and leaves the conversation unchanged) when the turn
    /// was prepared with another `redact` setting than the conversation's.
    pub fn turn_prepared(&mut self, prepared: PreparedTurn) -> Result<TurnAnalysis> {
        if prepared.redact != self.redact {
            return Err(Error::Config(format!(
                "a turn prepared with redact = {} for a conversation with redact = {}",
                prepared.redact, self.redact
            )));
        }
        let PreparedTurn {
            speaker,
            analysis,
            redacted_text,
            message,
            asks_for_person,
            threat,
            ..
        } = prepared;
        let turn = self.turns;
        self.turns += 1;
        let (escalation, slots) = match speaker {
            Speaker::Agent => {
                let repeated = self
                    .last_agent
                    .as_ref()
                    .is_some_and(|last| self.same_request(&message, last));
                self.agent_repeated |= repeated;
                self.last_agent = Some(message);
                (None, None)
            }
            Speaker::Customer => {
                for e in analysis.entities.iter().flatten() {
                    self.slots.insert(
                        e.label.clone(),
                        Slot {
                            text: e.text.clone(),
                            value: e.value.clone(),
                            turn,
                        },
                    );
                }
                let escalation = self.escalation(asks_for_person, threat, &analysis, &message);
                self.last_customer = Some(message);
                self.agent_repeated = false;
                (Some(escalation), Some(self.slots.clone()))
            }
        };
        Ok(TurnAnalysis {
            turn,
            analysis,
            redacted_text,
            escalation,
            slots,
        })
    }

    /// The state as JSON (see [`Conversation::from_json`]).
    ///
    /// ```
    /// use tolka::conversation::Conversation;
    /// let json = Conversation::new().redacting(true).to_json();
    /// assert!(json.starts_with(r#"{"version":1,"#));
    /// assert_eq!(Conversation::from_json(&json)?, Conversation::new().redacting(true));
    /// # Ok::<(), tolka::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a conversation serialises")
    }

    /// A conversation from the JSON of [`Conversation::to_json`]; the next turn gives exactly
    /// the result it would have given without the round trip.
    ///
    /// Errors: [`Error::StateVersion`] for state of another format version,
    /// [`Error::State`] for JSON that is not a conversation.
    ///
    /// ```
    /// use tolka::{Error, conversation::Conversation};
    /// let err = Conversation::from_json(r#"{"version": 2}"#).unwrap_err();
    /// assert!(matches!(err, Error::StateVersion { found: 2, expected: 1 }));
    /// ```
    pub fn from_json(json: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(Error::State)?;
        match value.get("version").map(serde_json::Value::as_u64) {
            Some(Some(found)) if found != u64::from(STATE_VERSION) => {
                return Err(Error::StateVersion {
                    found,
                    expected: STATE_VERSION,
                });
            }
            _ => {}
        }
        serde_json::from_value(value).map_err(Error::State)
    }

    /// Updates the customer's running signals with this turn and scores it.
    ///
    /// `asks_for_person` and `threat`: whether the text's words ask for a person or threaten.
    fn escalation(
        &mut self,
        asks_for_person: bool,
        threat: bool,
        analysis: &Analysis,
        message: &Message,
    ) -> Escalation {
        let config = &self.config;
        let intent = analysis.intent.as_ref();
        let asks_for_person = asks_for_person
            || intent.is_some_and(|i| !i.out_of_scope && config.human_intents.contains(&i.label));

        let negative_sentiment = analysis.sentiment.as_ref().map_or(0.0, |s| -s.score);
        let negative_emotion = analysis
            .emotions
            .iter()
            .flatten()
            .filter(|e| config.frustration_emotions.contains(&e.label))
            .map(|e| e.score)
            .fold(0.0, f32::max);
        let negativity = negative_sentiment.max(negative_emotion).clamp(0.0, 1.0);
        let d = config.frustration_decay;
        self.frustration = d * self.frustration + (1.0 - d) * negativity;

        let rephrased = self
            .last_customer
            .as_ref()
            .is_some_and(|last| self.same_request(message, last));
        // One message out of scope or of low confidence is ordinary; two in a row are not.
        let not_understood =
            intent.is_some_and(|i| i.out_of_scope || i.confidence < config.low_confidence);
        let not_understood_again = not_understood && self.not_understood;
        self.not_understood = not_understood;
        let cues = [rephrased, not_understood_again, self.agent_repeated]
            .into_iter()
            .filter(|&c| c)
            .count() as u32;
        self.failures = if cues == 0 { 0 } else { self.failures + cues };

        let mut strengths = [
            (
                EscalationReason::HumanRequested,
                f32::from(u8::from(asks_for_person)),
            ),
            (EscalationReason::Threat, f32::from(u8::from(threat))),
            (EscalationReason::Frustration, self.frustration),
            (
                EscalationReason::RepeatedFailure,
                (self.failures as f32 * config.failure_weight).min(1.0),
            ),
        ];
        let score = 1.0 - strengths.iter().map(|(_, c)| 1.0 - c).product::<f32>();
        strengths.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Escalation {
            escalate: score >= config.threshold,
            score,
            reasons: strengths
                .iter()
                .filter(|(_, c)| *c >= config.reason_floor)
                .map(|(r, _)| *r)
                .collect(),
        }
    }

    /// Whether two messages of one speaker say the same thing.
    ///
    /// A fine-tuned encoder puts every message of one intent close together, so a high cosine
    /// alone would call two different return questions a rephrase: it also needs half the
    /// word overlap that counts on its own.
    fn same_request(&self, a: &Message, b: &Message) -> bool {
        if a.words.len() < 3 || b.words.len() < 3 {
            return false;
        }
        let overlap = jaccard(&a.words, &b.words);
        overlap >= self.config.rephrase_overlap
            || (overlap >= self.config.rephrase_overlap / 2.0
                && cosine(&a.embedding, &b.embedding) >= self.config.rephrase_similarity)
    }
}

/// Requests for a person, English and Swedish.
static HUMAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)\b(?:
            human | humans | agent | representative | operator | supervisor
            | (?:real|live|actual|another) \s+ person | a \s+ person | someone \s+ real
            | människa | människor | handläggare | (?:riktig|levande|verklig) \s+ person
            | en \s+ person | prata \s+ med \s+ någon
        )\b",
    )
    .expect("human regex")
});

/// Threats to leave, to complain to a bank or an authority, or to post bad reviews.
static THREAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)
        # leaving
        \bnever\s+(?:buy|buying|order|ordering|shop|shopping|purchase)\w*\s+(?:anything\s+)?(?:from|with|here|at)\b
        | \b(?:take|taking)\s+my\s+(?:business|money)\s+elsewhere
        | \b(?:switch|switching|go|going)\s+to\s+(?:a\s+|your\s+)?competitors?\b
        | \bi(?:'m|\s+am)\s+done\s+with\s+(?:you|this|your)
        | \b(?:handlar|beställer|köper)\s+aldrig\s+(?:mer|igen)\b | \baldrig\s+mer\s+(?:handla|beställa|köpa)\b
        | \b(?:byter|går)\s+till\s+(?:en\s+)?konkurrent | \bsista\s+gången\s+jag\b
        # bank, authority, law
        | \bcharge\s*-?backs?\b | \bdispute\s+(?:the|this|a|that)\s+(?:charge|payment|transaction)
        | \b(?:call|calling|contact|contacting|tell|telling|ring|report\w*\s+(?:you|this|it)\s+to|complain\w*\s+to|go\s+to)\s+(?:my|the)\s+bank\b
        | \bcredit\s+card\s+company\b | \bconsumer\s+(?:protection|agency|ombudsman|rights\s+(?:agency|board))
        | \bbetter\s+business\s+bureau\b | \b(?:lawyer|attorney|legal\s+action|sue\s+you|small\s+claims)\b
        | \breport\s+you\b | \bfile\s+a\s+complaint\s+with\b
        | \ballmänna\s+reklamationsnämnden\b | \breklamationsnämnden\b | \bkonsumentverket\b
        | \bkonsumentombudsman\w* | \bhallå\s+konsument\b | \bkronofogden\b | \båterkrav\w*
        | \bbestrid\w* | \badvokat\w* | \bjurist\w* | \bpolisanmäl\w*
        | \banmäl\w*\s+(?:er|dig|detta|det\s+här|företaget)\b | \bstämm?a\s+er\b | \bstämmer\s+er\b
        | \b(?:kontakta|kontaktar|ringa|ringer|gå\s+till|går\s+till|vänder\s+mig\s+till|vända\s+mig\s+till)\s+(?:min\s+)?bank(?:en)?\b
        # reviews
        | \btrustpilot\b | \b(?:bad|negative|terrible|horrible|awful|1[-\s]?star|one[-\s]star)\s+reviews?\b
        | \bsocial\s+media\b | \b(?:twitter|facebook|instagram|tiktok|reddit)\b
        | \b(?:dålig|dåliga|negativ|negativa)\s+(?:recension|recensioner|omdöme|omdömen)\b | \bsociala\s+medier\b
        ",
    )
    .expect("threat regex")
});

/// Abbreviations that are threats only in capitals (ARN, the Swedish consumer complaints
/// board; BBB).
static THREAT_CASED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:ARN|BBB)\b").expect("threat regex"));

/// Words too common to tell two requests apart.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "i", "me", "my", "you", "your", "it", "is", "are", "was", "to", "of", "for",
    "and", "or", "in", "on", "at", "do", "can", "please", "this", "that", "jag", "du", "det", "är",
    "och", "att", "en", "ett", "på", "i", "min", "mitt", "mina", "till", "för", "kan", "som",
    "har",
];

/// Sorted, distinct FNV-1a hashes of the lower-cased words of `text`, stop words left out.
fn word_hashes(text: &str) -> Vec<u64> {
    let mut hashes: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| {
            w.bytes().fold(0xcbf2_9ce4_8422_2325, |h: u64, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// |a ∩ b| / |a ∪ b| of two sorted, distinct lists.
fn jaccard(a: &[u64], b: &[u64]) -> f32 {
    let common = a.iter().filter(|h| b.binary_search(h).is_ok()).count();
    let union = a.len() + b.len() - common;
    if union == 0 {
        0.0
    } else {
        common as f32 / union as f32
    }
}

/// The cosine of two vectors (0 when either is empty or zero).
fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let n = norm(a) * norm(b);
    if a.len() != b.len() || n == 0.0 {
        0.0
    } else {
        dot / n
    }
}

/// The format version field: serialises as [`STATE_VERSION`], and deserialises only from it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Version;

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(STATE_VERSION)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let found = u64::deserialize(deserializer)?;
        if found == u64::from(STATE_VERSION) {
            Ok(Version)
        } else {
            Err(serde::de::Error::custom(format!(
                "unsupported conversation state version {found} (this tolka reads version {STATE_VERSION})"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_requests_and_threats_in_english_and_swedish() {
        let human = [
            "let me talk to a human",
            "I want a real person",
            "get me an agent NOW",
            "kan jag få prata med en människa?",
            "jag vill prata med en handläggare",
        ];
        for text in human {
            assert!(HUMAN.is_match(text), "{text}");
        }
        let threats = [
            "I will never order from you again",
            "I'm filing a chargeback",
            "I'll call my bank and dispute the charge",
            "you'll get a 1-star review on Trustpilot",
            "I'm reporting this to consumer protection",
            "jag anmäler er till ARN",
            "jag kontaktar Konsumentverket",
            "jag handlar aldrig mer här",
            "ni får en dålig recension",
            "jag ringer banken och begär återkrav",
        ];
        for text in threats {
            assert!(
                THREAT.is_match(text) || THREAT_CASED.is_match(text),
                "{text}"
            );
        }
        let calm = [
            "where is my order?",
            "my bank declined the card",
            "can I pay by bank transfer?",
            "I'd like to leave a review, it was great",
            "jag har barn och vill ha en storlek mindre",
            "my arn is 1234",
            "personally I like the blue one",
            "vad kostar frakten?",
        ];
        for text in calm {
            assert!(
                !HUMAN.is_match(text) && !THREAT.is_match(text) && !THREAT_CASED.is_match(text),
                "{text}"
            );
        }
    }

    #[test]
    fn similarity_measures() {
        let a = word_hashes("Where is my order, I ordered a blue jacket");
        let b = word_hashes("where is the ORDER? I ordered a blue jacket!!");
        assert_eq!(jaccard(&a, &b), 1.0);
        assert!(jaccard(&a, &word_hashes("tell me a joke")) < 0.2);
        assert_eq!(jaccard(&[], &[]), 0.0);
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 2.0]), 0.0);
        assert_eq!(cosine(&[], &[]), 0.0);
    }

    #[test]
    fn state_of_another_version_is_refused() {
        let json = Conversation::new()
            .to_json()
            .replace(r#""version":1"#, r#""version":7"#);
        assert!(matches!(
            Conversation::from_json(&json),
            Err(Error::StateVersion {
                found: 7,
                expected: 1
            })
        ));
        assert!(serde_json::from_str::<Conversation>(&json).is_err());
        assert!(matches!(
            Conversation::from_json("{\"version\": 1}"),
            Err(Error::State(_))
        ));
        assert!(matches!(
            Conversation::from_json("[]"),
            Err(Error::State(_))
        ));
    }
}
