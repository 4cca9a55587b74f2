//! Conversations on the real default model: escalation reasons, slots across turns, dates
//! relative to each message, the JSON state, redaction.
//!
//! The model is retrained from time to time: assertions rest on strong cues, not scores.

use chrono::{DateTime, FixedOffset};
use tolka::conversation::{Conversation, EscalationReason, TurnAnalysis, TurnInput};
use tolka::rules::Value;

use crate::analyzer;

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

/// Runs `turns` (`("c" | "a", text)`) through `chat`, one minute apart.
fn run(chat: &mut Conversation, turns: &[(&str, &str)]) -> Vec<TurnAnalysis> {
    turns
        .iter()
        .enumerate()
        .map(|(i, &(who, text))| {
            let input = match who {
                "c" => TurnInput::customer(text),
                _ => TurnInput::agent(text),
            };
            let time = at("2026-03-10T14:00:00+01:00") + chrono::Duration::minutes(i as i64);
            chat.turn(analyzer(), input.at(time)).unwrap()
        })
        .collect()
}

/// The escalation of the last turn (a customer turn).
fn last_escalation(turns: &[TurnAnalysis]) -> tolka::Escalation {
    turns
        .last()
        .unwrap()
        .escalation
        .clone()
        .expect("a customer turn")
}

#[test]
fn each_reason_escalates_in_english_and_swedish() {
    let cases: &[(&[(&str, &str)], EscalationReason)] = &[
        (
            &[
                ("c", "Where is my order?"),
                ("a", "It is on its way."),
                ("c", "I want to talk to a real person, now."),
            ],
            EscalationReason::HumanRequested,
        ),
        (
            &[("c", "Jag vill prata med en människa.")],
            EscalationReason::HumanRequested,
        ),
        (
            &[(
                "c",
                "If my money is not back today I will file a chargeback and post a 1-star review on Trustpilot.",
            )],
            EscalationReason::Threat,
        ),
        (
            &[(
                "c",
                "Får jag inte pengarna tillbaka anmäler jag er till ARN och Konsumentverket.",
            )],
            EscalationReason::Threat,
        ),
        (
            &[
                (
                    "c",
                    "This is the worst service I have ever had, I am furious!",
                ),
                ("a", "I am sorry to hear that."),
                ("c", "Absolutely useless and terrible, I hate this company!"),
            ],
            EscalationReason::Frustration,
        ),
        (
            &[
                ("c", "I need to change the delivery address on my order"),
                ("a", "Sorry, I did not understand that."),
                ("c", "I need to change the delivery address of my order"),
                ("a", "Sorry, I did not understand that."),
                (
                    "c",
                    "I need to change the delivery address for my order please",
                ),
            ],
            EscalationReason::RepeatedFailure,
        ),
    ];
    for (turns, reason) in cases {
        let mut chat = Conversation::new();
        let escalation = last_escalation(&run(&mut chat, turns));
        assert!(escalation.escalate, "{turns:?}: {escalation:?}");
        assert!(
            escalation.reasons.contains(reason),
            "{turns:?}: {escalation:?}"
        );
        assert!((0.0..=1.0).contains(&escalation.score));
    }
}

#[test]
fn calm_conversations_with_one_grumpy_turn_do_not_escalate() {
    let conversations: &[&[(&str, &str)]] = &[
        &[
            ("c", "Hi, where is my order #A-10293?"),
            ("a", "It ships tomorrow and arrives on Friday."),
            ("c", "Great, thanks! Can I pay with Klarna next time?"),
            ("a", "Yes, Klarna works."),
            ("c", "Perfect, thank you so much!"),
        ],
        &[
            ("c", "Hi! I'd like to return a pair of shoes."),
            ("a", "Sure, you have 30 days to return them."),
            ("c", "Ugh, the return label did not print, that's annoying."),
            ("a", "I have sent you a new label by e-mail."),
            ("c", "Got it, thanks for the quick help!"),
        ],
        &[
            ("c", "Hej! Hur lång är leveranstiden till Göteborg?"),
            ("a", "Två till tre dagar."),
            ("c", "Tack, då beställer jag idag."),
        ],
    ];
    for turns in conversations {
        let mut chat = Conversation::new();
        for (turn, (_, text)) in run(&mut chat, turns).iter().zip(turns.iter()) {
            if let Some(e) = &turn.escalation {
                assert!(!e.escalate, "{text:?} escalated: {e:?}");
            }
        }
    }
}

#[test]
fn slots_carry_the_order_id_across_turns() {
    let mut chat = Conversation::new();
    let turns = run(
        &mut chat,
        &[
            ("c", "Hi, I have a question about my order"),
            ("a", "Sure, what is the order number?"),
            ("c", "it's order A-10293"),
            ("a", "Thanks, let me check."),
            ("c", "so when will it arrive?"),
        ],
    );
    assert!(turns[1].slots.is_none() && turns[1].escalation.is_none());
    let slots = turns[4].slots.as_ref().unwrap();
    let order = &slots["order_id"];
    assert_eq!(order.turn, 2);
    assert_eq!(
        order.value,
        Some(Value::OrderId {
            value: "A-10293".into()
        })
    );
    assert_eq!(chat.slots(), slots);
}

#[test]
fn relative_dates_resolve_against_each_turn() {
    let mut chat = Conversation::new();
    let first = chat
        .turn(
            analyzer(),
            TurnInput::customer("Can you deliver it tomorrow?").at(at("2026-03-10T23:30:00+01:00")),
        )
        .unwrap();
    let date = |turn: &TurnAnalysis| turn.slots.as_ref().unwrap()["date"].value.clone();
    let day = |d: &str| {
        Some(Value::Date {
            value: d.parse().unwrap(),
        })
    };
    assert_eq!(date(&first), day("2026-03-11"));
    // A message days later, after a round trip through the session store.
    let mut chat = Conversation::from_json(&chat.to_json()).unwrap();
    let later = chat
        .turn(
            analyzer(),
            TurnInput::customer("Then tomorrow please").at(at("2026-04-02T09:00:00+02:00")),
        )
        .unwrap();
    assert_eq!(date(&later), day("2026-04-03"));
}

#[test]
fn the_json_state_round_trips_to_the_same_results() {
    let turns = [
        ("c", "Where is my order #A-10293? It is late."),
        ("a", "It is on its way."),
        ("c", "That is what you said yesterday, this is ridiculous."),
        ("a", "It is on its way."),
        ("c", "Where is my order #A-10293?? It is late!"),
    ];
    let mut kept = Conversation::new().redacting(true);
    let direct = run(&mut kept, &turns);
    let mut stored = Conversation::new().redacting(true).to_json();
    for (i, expected) in direct.iter().enumerate() {
        let mut chat = Conversation::from_json(&stored).unwrap();
        let got = run_one(&mut chat, &turns, i);
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(expected).unwrap()
        );
        stored = chat.to_json();
        let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(value["version"], 1);
    }
    assert_eq!(Conversation::from_json(&stored).unwrap(), kept);
}

/// Turn `i` of `turns` as [`run`] would give it.
fn run_one(chat: &mut Conversation, turns: &[(&str, &str)], i: usize) -> TurnAnalysis {
    let (who, text) = turns[i];
    let input = match who {
        "c" => TurnInput::customer(text),
        _ => TurnInput::agent(text),
    };
    let time = at("2026-03-10T14:00:00+01:00") + chrono::Duration::minutes(i as i64);
    chat.turn(analyzer(), input.at(time)).unwrap()
}

#[test]
fn a_redacting_conversation_keeps_no_personal_data() {
    let turns = [
        (
            "c",
            "Hi, my card 4111 1111 1111 1111 got charged twice for order #A-10293",
        ),
        ("a", "Sorry! Which e-mail is the account on?"),
        ("c", "anna.svensson@example.se, or call me on 070-123 45 67"),
        ("a", "Thanks. For a refund to your bank, what is your IBAN?"),
        (
            "c",
            "SE45 5000 0000 0583 9825 7466, personnummer 811218-9876",
        ),
    ];
    let pii = [
        "4111 1111 1111 1111",
        "4111111111111111",
        "anna.svensson",
        "example.se",
        "070-123 45 67",
        "0701234567",
        "+46701234567",
        "123 45 67",
        "SE45 5000",
        "SE4550000000058398257466",
        "0583 9825 7466",
        "811218-9876",
        "8112189876",
    ];
    let mut chat = Conversation::new().redacting(true);
    let redacted = run(&mut chat, &turns);
    let mut output = String::new();
    for turn in &redacted {
        output += &serde_json::to_string(turn).unwrap();
    }
    output += &chat.to_json();
    for p in pii {
        assert!(!output.contains(p), "{p} leaked: {output}");
    }
    // The analysis reads the original text: the intents do not change.
    let plain = run(&mut Conversation::new(), &turns);
    for (r, p) in redacted.iter().zip(&plain) {
        assert_eq!(r.analysis.intent, p.analysis.intent);
        assert!(p.redacted_text.is_none());
    }
    assert_eq!(
        redacted[0].redacted_text.as_deref(),
        Some("Hi, my card [CARD] got charged twice for order #A-10293")
    );
    let slots = chat.slots();
    assert_eq!(slots["email"].text, "[EMAIL]");
    assert_eq!(slots["email"].value, None);
    assert_eq!(
        slots["card"].value,
        Some(Value::Card {
            brand: "visa".into(),
            last4: "1111".into()
        })
    );
    assert_eq!(
        slots["order_id"].value,
        Some(Value::OrderId {
            value: "A-10293".into()
        })
    );
}

#[test]
fn prepared_turns_of_interleaved_chats_match_turn_by_turn() {
    let chats: [&[(&str, &str)]; 2] = [
        &[
            (
                "c",
                "I need to change the delivery address on my order A-10293",
            ),
            ("a", "Sorry, I did not understand that."),
            ("c", "I need to change the delivery address of my order"),
            ("a", "Sorry, I did not understand that."),
            ("c", "Useless. Let me talk to a real person."),
        ],
        &[
            ("c", "Hej! Har ni jackan i storlek M? mejla anna@example.se"),
            ("a", "Ja, den finns."),
            ("c", "Tack, då beställer jag i morgon."),
        ],
    ];
    for redact in [false, true] {
        // One by one.
        let mut expected = Vec::new();
        for turns in chats {
            let mut chat = Conversation::new().redacting(redact);
            expected.push(run(&mut chat, turns));
        }
        // Interleaved, in one encoder pass.
        let mut order = Vec::new();
        for i in 0..5 {
            for (c, turns) in chats.iter().enumerate() {
                if i < turns.len() {
                    order.push((c, i));
                }
            }
        }
        let inputs: Vec<TurnInput> = order
            .iter()
            .map(|&(c, i)| {
                let (who, text) = chats[c][i];
                let input = match who {
                    "c" => TurnInput::customer(text),
                    _ => TurnInput::agent(text),
                };
                input.at(at("2026-03-10T14:00:00+01:00") + chrono::Duration::minutes(i as i64))
            })
            .collect();
        let prepared = Conversation::prepare(analyzer(), &inputs, redact).unwrap();
        let mut convs = [
            Conversation::new().redacting(redact),
            Conversation::new().redacting(redact),
        ];
        for (&(c, i), p) in order.iter().zip(prepared) {
            let got = convs[c].turn_prepared(p).unwrap();
            let want = &expected[c][i];
            assert_eq!(got.turn, want.turn);
            assert_eq!(got.slots, want.slots);
            assert_eq!(got.redacted_text, want.redacted_text);
            assert_eq!(
                got.analysis.intent.as_ref().map(|i| &i.label),
                want.analysis.intent.as_ref().map(|i| &i.label)
            );
            match (&got.escalation, &want.escalation) {
                (Some(g), Some(w)) => {
                    assert_eq!((g.escalate, &g.reasons), (w.escalate, &w.reasons));
                    assert!((g.score - w.score).abs() < 1e-3, "{g:?} {w:?}");
                }
                (g, w) => assert_eq!(g, w),
            }
        }
    }
    // A turn prepared without redaction does not go into a redacting conversation.
    let p = Conversation::prepare(analyzer(), &[TurnInput::customer("hi")], false)
        .unwrap()
        .pop()
        .unwrap();
    let mut chat = Conversation::new().redacting(true);
    assert!(matches!(
        chat.turn_prepared(p),
        Err(tolka::Error::Config(_))
    ));
    assert!(chat.slots().is_empty());
}
