//! Entities: what the customer is talking about, as typed character spans.

use serde::{Deserialize, Serialize};

pub use crate::model::manifest::Decoder;

/// Where an entity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntitySource {
    /// The learned token-classification head.
    Model,
    /// A pattern rule (money, dates, e-mails, order ids…), see [`crate::rules`].
    Rule,
    /// The shop's catalog gazetteer.
    Gazetteer,
}

/// One entity span.
///
/// `start` and `end` are **character** offsets (Unicode scalar values, end exclusive), the
/// same as Python `str` indices and the JSONL data format: `text` equals the characters
/// `start..end` of the analysed text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub label: String,
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// Mean probability of the decoded tags over the entity's words.
    pub confidence: f32,
    pub source: EntitySource,
    /// The normalised value, for rule and catalog entities (and model entities that a rule
    /// match covers exactly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<crate::rules::Value>,
}

/// Merges rule matches (byte offsets into `text`) into the model's entities.
///
/// Overlap policy:
/// - the shop's catalog wins: a model entity that overlaps a catalog match gives way to it
///   (the model's `product` "Air Max" and `brand` "Nike" in "Nike Air Max 90" become the one
///   catalog entry with its id);
/// - otherwise a model entity keeps its label and span, and the rule match that overlaps it
///   most gives it its normalised value (so `refund_amount` "160" in "160 dollars" gains
///   `{"kind": "money", "amount": "160.00", "currency": "USD"}`); matches that overlap a model
///   entity are not emitted on their own;
/// - an e-mail address, phone number, URL, card, IBAN, personal identity number or tracking
///   number is one checked unit, so a model entity that overlaps such a match gives way to it (the model's
///   `order_id` over a Luhn-valid card number, or "anna" of "anna@example.se" as a
///   `person_name`); so does a model `order_id` that overlaps an amount of money, a size or
///   a quantity ("1299" of "I want my 1299 kr back", "44" of "size 44"); and any model
///   entity that overlaps a payment method (the `brand` "Klarna" of "can I pay with
///   Klarna?");
/// - no learned type is a date or a time, so a model entity that lies inside a date, time,
///   interval or duration match gives way to it (the English model's `person_name` "fredag"
///   in Swedish "på fredag"); one that reaches beyond it keeps its label ("christmas
///   sweater" stays a `product`);
/// - a `product` entity that is nothing but a colour or size ("black" of "the black running
///   shoes", when the model cuts the name there) is that attribute, and goes to the product
///   next to it like any other;
/// - a `product` entity takes the colour and size inside its span, and those next to it with
///   at most a linking word between ("black running shoes in size 42", "jackan i svart,
///   storlek 38"), as a [`Value::Product`](crate::rules::Value::Product); the colour and size
///   next to it stay entities of their own, and a number inside it is part of its name ("Air
///   Max 90");
/// - matches that overlap no model entity are added;
/// - a model's `order_id` is trimmed of spaces and punctuation at its ends and has that id
///   as its value unless an order-id pattern matched it: "7781-2290" is `{"kind":
///   "order_id", "value": "7781-2290"}`, not the number 2290 inside it.
///
/// The result is sorted by start.
pub(crate) fn merge(
    text: &str,
    model: Vec<Entity>,
    matches: Vec<crate::rules::Match>,
) -> Vec<Entity> {
    let mut merged = merge_matches(text, model, matches);
    for entity in &mut merged {
        if entity.source == EntitySource::Model && entity.label == "order_id" {
            own_order_id(entity);
        }
    }
    merged
}

/// Trims a model's `order_id` to the id (no `#`, space or punctuation at either end: the
/// model's span of "Order no. 300219876 - Nike" can take in ". " and " -") and gives it that
/// id as its value (in upper case, as the order-id rules write it), unless an order-id rule
/// already did.
fn own_order_id(entity: &mut Entity) {
    use crate::rules::Value;
    let edge = |c: char| !c.is_alphanumeric();
    let id = entity.text.trim_matches(edge);
    if id.is_empty() {
        return;
    }
    let lead = entity.text.chars().take_while(|&c| edge(c)).count();
    let trail = entity.text.chars().rev().take_while(|&c| edge(c)).count();
    entity.start += lead;
    entity.end -= trail;
    entity.text = id.to_owned();
    if !matches!(entity.value, Some(Value::OrderId { .. })) {
        entity.value = Some(Value::OrderId {
            value: entity.text.to_uppercase(),
        });
    }
}

/// [`merge`] before the order ids get their own values.
fn merge_matches(text: &str, model: Vec<Entity>, matches: Vec<crate::rules::Match>) -> Vec<Entity> {
    if matches.is_empty() {
        return model;
    }
    let mut chars = CharOffsets::new(text);
    let mut ruled: Vec<Entity> = Vec::with_capacity(matches.len());
    for m in matches {
        let source = match m.source {
            crate::rules::MatchSource::Rule => EntitySource::Rule,
            crate::rules::MatchSource::Gazetteer => EntitySource::Gazetteer,
        };
        ruled.push(Entity {
            text: text[m.start..m.end].to_owned(),
            start: chars.char_offset(m.start),
            end: chars.char_offset(m.end),
            label: m.label,
            confidence: m.confidence,
            source,
            value: Some(m.value),
        });
    }
    let mut merged: Vec<Entity> = Vec::with_capacity(model.len() + ruled.len());
    let mut covered = vec![false; ruled.len()];
    for mut entity in model {
        // A checked unit (card, IBAN, personal number, e-mail, phone, URL, tracking number)
        // or a payment method wins over any model entity it overlaps: "4111 1111 1111 1111"
        // is a card, not an `order_id`; an amount, size or quantity over an `order_id`.
        let order_id = entity.label == "order_id";
        let fragment = ruled.iter().any(|r| {
            (atomic(r.value.as_ref())
                || order_id && measure(r.value.as_ref())
                || matches!(r.value, Some(crate::rules::Value::PaymentMethod { .. })))
                && r.start < entity.end
                && entity.start < r.end
        });
        let overlap = |r: &Entity| {
            r.end
                .min(entity.end)
                .saturating_sub(r.start.max(entity.start))
        };
        let catalog = ruled
            .iter()
            .any(|r| r.source == EntitySource::Gazetteer && overlap(r) > 0);
        let product = entity.label == "product";
        let inside = |r: &Entity| r.start <= entity.start && entity.end <= r.end;
        let inside_temporal = ruled
            .iter()
            .any(|r| temporal(r.value.as_ref()) && inside(r));
        let only_attribute = product && ruled.iter().any(|r| attribute(r).is_some() && inside(r));
        if fragment || catalog || inside_temporal || only_attribute {
            continue;
        }
        let best = (0..ruled.len())
            .filter(|&r| overlap(&ruled[r]) > 0 && !(product && part_of_name(&ruled[r])))
            .max_by_key(|&r| overlap(&ruled[r]));
        let mut attributes = Attributes::default();
        for (r, c) in covered.iter_mut().enumerate() {
            if overlap(&ruled[r]) > 0 {
                *c = true;
                if product {
                    attributes.add(&ruled[r]);
                }
            }
        }
        if let Some(r) = best {
            entity.value = ruled[r].value.clone();
        }
        if product && entity.value.is_none() {
            entity.value = attributes.into_value();
        }
        merged.push(entity);
    }
    merged.extend(
        ruled
            .into_iter()
            .zip(covered)
            .filter(|(_, c)| !c)
            .map(|(e, _)| e),
    );
    merged.sort_by_key(|e| (e.start, e.end));
    attach_neighbours(text, &mut merged);
    merged
}

/// Whether a match inside a product name is part of it rather than its value: a colour or
/// size (an attribute) or a number ("Air Max 90").
fn part_of_name(e: &Entity) -> bool {
    use crate::rules::Value;
    attribute(e).is_some()
        || matches!(
            e.value,
            Some(Value::Number { .. } | Value::Ordinal { .. } | Value::Quantity { .. })
        )
}

/// Whether `e` is a colour or a size (a product attribute).
fn attribute(e: &Entity) -> Option<&crate::rules::Value> {
    use crate::rules::Value;
    e.value
        .as_ref()
        .filter(|v| matches!(v, Value::Color { .. } | Value::Size { .. }))
}

/// The colour and size of a product (the first of each kind).
#[derive(Default)]
struct Attributes {
    color: Option<String>,
    size: Option<(String, String)>,
}

impl Attributes {
    fn add(&mut self, e: &Entity) {
        use crate::rules::Value;
        match attribute(e) {
            Some(Value::Color { value }) => {
                self.color.get_or_insert_with(|| value.clone());
            }
            Some(Value::Size { value, system }) => {
                self.size
                    .get_or_insert_with(|| (value.clone(), system.clone()));
            }
            _ => {}
        }
    }

    /// Adds what `other` has and `self` lacks.
    fn fill_from(&mut self, other: Attributes) {
        self.color = self.color.take().or(other.color);
        self.size = self.size.take().or(other.size);
    }

    fn into_value(self) -> Option<crate::rules::Value> {
        if self.color.is_none() && self.size.is_none() {
            return None;
        }
        let (size, size_system) = self.size.unzip();
        Some(crate::rules::Value::Product {
            color: self.color,
            size,
            size_system,
        })
    }

    fn from_value(value: Option<&crate::rules::Value>) -> Self {
        match value {
            Some(crate::rules::Value::Product {
                color,
                size,
                size_system,
            }) => Attributes {
                color: color.clone(),
                size: size.clone().zip(size_system.clone()),
            },
            _ => Attributes::default(),
        }
    }
}

/// Whether the text between a product and an attribute (or two attributes) links them:
/// nothing, a comma, or a word such as "in", "i", "size", "storlek".
fn links(gap: &str) -> bool {
    let gap = gap
        .trim()
        .trim_matches(|c| c == ',' || c == '-' || c == '/')
        .trim();
    matches!(
        gap.to_lowercase().as_str(),
        "" | "in"
            | "i"
            | "in a"
            | "in the"
            | "i en"
            | "i ett"
            | "size"
            | "storlek"
            | "in size"
            | "i storlek"
            | "i färgen"
            | "in colour"
            | "in color"
    )
}

/// Gives each `product` entity (sorted `entities`, no value other than its attributes) the
/// colour and size entities next to it, linked by [`links`]; a colour or size right before
/// another product belongs to that one.
fn attach_neighbours(text: &str, entities: &mut [Entity]) {
    let is_product = |e: &Entity| {
        e.label == "product" && matches!(e.value, None | Some(crate::rules::Value::Product { .. }))
    };
    if !entities.iter().any(is_product) || !entities.iter().any(|e| attribute(e).is_some()) {
        return;
    }
    let bytes: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain([text.len()])
        .collect();
    let gap = |from: usize, to: usize| -> &str {
        match (bytes.get(from), bytes.get(to)) {
            (Some(&a), Some(&b)) if a <= b => &text[a..b],
            _ => ",,,",
        }
    };
    for p in 0..entities.len() {
        if !is_product(&entities[p]) {
            continue;
        }
        let mut found = Attributes::default();
        // Before the product, nearest first.
        let mut edge = entities[p].start;
        for a in (0..p).rev() {
            if attribute(&entities[a]).is_none()
                || entities[a].end > edge
                || !links(gap(entities[a].end, edge))
            {
                break;
            }
            found.add(&entities[a]);
            edge = entities[a].start;
        }
        // After it, nearest first, up to the next product.
        let mut edge = entities[p].end;
        for a in p + 1..entities.len() {
            let e = &entities[a];
            if attribute(e).is_none() || e.start < edge || !links(gap(edge, e.start)) {
                break;
            }
            let next_product = entities[a + 1..]
                .iter()
                .find(|n| n.label == "product")
                .is_some_and(|n| gap(e.end, n.start).trim().is_empty());
            if next_product {
                break;
            }
            found.add(e);
            edge = e.end;
        }
        let mut own = Attributes::from_value(entities[p].value.as_ref());
        own.fill_from(found);
        entities[p].value = own.into_value();
    }
}

/// `entities` of `text` without personal data. `removed` are the spans that redaction
/// replaced (character offsets, the placeholder as `text`): an entity that overlaps one gets
/// the text of its span with the placeholders in and no value (a value read from a span
/// with personal data in it, such as a model's order id over a personnummer, may hold
/// it); an entity whose value is personal data gets its placeholder as text; values lose
/// their personal data
/// ([`Value::without_personal_data`](crate::rules::Value::without_personal_data)).
pub(crate) fn without_personal_data(
    text: &str,
    entities: Vec<Entity>,
    removed: &[Entity],
) -> Vec<Entity> {
    entities
        .into_iter()
        .map(|mut e| {
            if let Some(placeholder) = e.value.as_ref().and_then(|v| v.placeholder()) {
                e.text = placeholder.to_owned();
            } else if removed.iter().any(|r| r.start < e.end && e.start < r.end) {
                let mut out = String::new();
                let mut inside: Option<&Entity> = None;
                for (i, c) in text.chars().enumerate().take(e.end).skip(e.start) {
                    match removed.iter().find(|r| r.start <= i && i < r.end) {
                        Some(r) => {
                            if inside.is_none_or(|prev| !std::ptr::eq(prev, r)) {
                                out.push_str(&r.text);
                            }
                            inside = Some(r);
                        }
                        None => {
                            out.push(c);
                            inside = None;
                        }
                    }
                }
                e.text = out;
                e.value = None;
            }
            e.value = e.value.and_then(crate::rules::Value::without_personal_data);
            e
        })
        .collect()
}

/// Whether a match of this value is one unit that a model entity cannot be a part of.
fn atomic(value: Option<&crate::rules::Value>) -> bool {
    use crate::rules::Value;
    matches!(
        value,
        Some(
            Value::Email { .. }
                | Value::Phone { .. }
                | Value::Url { .. }
                | Value::Card { .. }
                | Value::Iban { .. }
                | Value::PersonalNumber { .. }
                | Value::TrackingNumber { .. }
        )
    )
}

/// Whether a value is an amount, size or quantity: "1299 kr", "size 44" or "3 st" is never
/// an order number.
fn measure(value: Option<&crate::rules::Value>) -> bool {
    use crate::rules::Value;
    matches!(
        value,
        Some(
            Value::Money { .. }
                | Value::PriceRange { .. }
                | Value::Size { .. }
                | Value::Quantity { .. }
        )
    )
}

/// Whether a value is a point or stretch of time.
fn temporal(value: Option<&crate::rules::Value>) -> bool {
    use crate::rules::Value;
    matches!(
        value,
        Some(
            Value::Date { .. }
                | Value::Time { .. }
                | Value::Interval { .. }
                | Value::Duration { .. }
        )
    )
}

/// A word: its byte range in the text and the log-probabilities of every BIO tag.
pub(crate) struct Word<'a> {
    pub start: usize,
    pub end: usize,
    pub log_probs: &'a [f32],
}

/// Index of the `B-` tag of entity type `k` in the tag set `O, B-0, I-0, B-1, ...`.
pub(crate) fn begin_tag(k: usize) -> usize {
    1 + 2 * k
}

/// Index of the `I-` tag of entity type `k`.
pub(crate) fn inside_tag(k: usize) -> usize {
    2 + 2 * k
}

/// True when tag `cur` may follow tag `prev` (`None` = sequence start) in BIO.
pub(crate) fn allowed(prev: Option<usize>, cur: usize) -> bool {
    if cur == 0 || cur % 2 == 1 {
        return true; // O and B-x may follow anything
    }
    // I-x needs B-x or I-x of the same type just before.
    matches!(prev, Some(p) if p != 0 && (p - 1) / 2 == (cur - 1) / 2)
}

/// A decoder with its parameters, ready to decode.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Decoding<'a> {
    Argmax,
    Constrained,
    /// Transition scores, `(tags + 1) × tags` row-major (row 0 = start).
    Learned(&'a [f32]),
}

/// Per-word argmax, then BIO repair (`I-x` without a preceding `B-x`/`I-x` becomes `B-x`).
pub(crate) fn argmax_repaired<'a>(words: impl IntoIterator<Item = &'a [f32]>) -> Vec<usize> {
    let mut tags: Vec<usize> = Vec::new();
    for log_probs in words {
        let best = (0..log_probs.len())
            .max_by(|&a, &b| log_probs[a].total_cmp(&log_probs[b]))
            .unwrap_or(0);
        let tag = if allowed(tags.last().copied(), best) {
            best
        } else {
            best - 1 // I-x -> B-x
        };
        tags.push(tag);
    }
    tags
}

/// Most probable tag sequence that is valid BIO (Viterbi with hard constraints), with
/// optional transition scores added to the per-word log-probabilities.
pub(crate) fn viterbi<'a>(
    words: impl IntoIterator<Item = &'a [f32]>,
    transitions: Option<&[f32]>,
) -> Vec<usize> {
    let mut words = words.into_iter();
    let Some(first) = words.next() else {
        return Vec::new();
    };
    let n_tags = first.len();
    let trans = |prev: Option<usize>, cur: usize| -> f32 {
        transitions.map_or(0.0, |t| t[prev.map_or(0, |p| p + 1) * n_tags + cur])
    };
    let mut score: Vec<f32> = (0..n_tags)
        .map(|t| {
            if allowed(None, t) {
                first[t] + trans(None, t)
            } else {
                f32::NEG_INFINITY
            }
        })
        .collect();
    let mut back: Vec<usize> = vec![0; n_tags];
    let mut next = vec![0f32; n_tags];
    for word in words {
        for cur in 0..n_tags {
            let (best_prev, best) = (0..n_tags)
                .filter(|&prev| allowed(Some(prev), cur))
                .map(|prev| (prev, score[prev] + trans(Some(prev), cur)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, f32::NEG_INFINITY));
            next[cur] = best + word[cur];
            back.push(best_prev);
        }
        std::mem::swap(&mut score, &mut next);
    }
    let len = back.len() / n_tags;
    let mut tag = (0..n_tags)
        .max_by(|&a, &b| score[a].total_cmp(&score[b]))
        .unwrap_or(0);
    let mut tags = vec![0; len];
    for w in (0..len).rev() {
        tags[w] = tag;
        tag = back[w * n_tags + tag];
    }
    tags
}

/// The tag sequence of `words` under `decoding`.
pub(crate) fn decode_tags<'a>(
    words: impl IntoIterator<Item = &'a [f32]>,
    decoding: Decoding<'_>,
) -> Vec<usize> {
    match decoding {
        Decoding::Argmax => argmax_repaired(words),
        Decoding::Constrained => viterbi(words, None),
        Decoding::Learned(t) => viterbi(words, Some(t)),
    }
}

/// Decodes words into entities of `text` (labels = entity types of the head).
pub(crate) fn decode(
    text: &str,
    words: &[Word<'_>],
    labels: &[String],
    decoding: Decoding<'_>,
) -> Vec<Entity> {
    let tags = decode_tags(words.iter().map(|w| w.log_probs), decoding);
    let mut spans: Vec<(usize, usize, usize, f32, usize)> = Vec::new(); // type, start, end, sum p, n
    for (word, &tag) in words.iter().zip(&tags) {
        let p = word.log_probs[tag].exp();
        if tag == 0 {
            continue;
        }
        let k = (tag - 1) / 2;
        match spans.last_mut() {
            Some(span) if tag == inside_tag(k) && span.0 == k => {
                span.2 = word.end;
                span.3 += p;
                span.4 += 1;
            }
            _ => spans.push((k, word.start, word.end, p, 1)),
        }
    }
    let mut chars = CharOffsets::new(text);
    spans
        .into_iter()
        .map(|(k, start, end, sum, n)| (k, trim_punctuation(text, start, end), sum, n))
        // A span without a letter or digit ("#", "-") names nothing.
        .filter(|(_, (start, end), ..)| text[*start..*end].chars().any(char::is_alphanumeric))
        .map(|(k, (start, end), sum, n)| Entity {
            label: labels[k].clone(),
            text: text[start..end].to_owned(),
            start: chars.char_offset(start),
            end: chars.char_offset(end),
            confidence: sum / n as f32,
            source: EntitySource::Model,
            value: None,
        })
        .collect()
}

/// Narrows the byte range `start..end` of `text` by the sentence punctuation, brackets,
/// spaces and emoji at its ends (whitespace-split words, e.g. of SentencePiece tokenizers,
/// carry "Göteborg?"; an emoji after an order number can be tagged as its last word), unless
/// nothing would be left.
fn trim_punctuation(text: &str, start: usize, end: usize) -> (usize, usize) {
    const CLOSING: &[char] = &[
        ',', '.', ';', ':', '!', '?', ')', ']', '}', '"', '\'', '»', '”', '’', '…',
    ];
    const OPENING: &[char] = &['(', '[', '{', '"', '\'', '«', '“', '‘', '¿', '¡'];
    // Arrows, symbols, dingbats and emoji (with their joiners, selectors and tags).
    let pictograph = |c: char| {
        matches!(c, '\u{2190}'..='\u{2BFF}' | '\u{1F000}'..='\u{1FAFF}' | '\u{200D}'
            | '\u{FE0E}' | '\u{FE0F}' | '\u{E0020}'..='\u{E007F}')
            || c.is_whitespace()
    };
    let span = &text[start..end];
    let trimmed = span
        .trim_end_matches(|c| CLOSING.contains(&c) || pictograph(c))
        .trim_start_matches(|c| OPENING.contains(&c) || pictograph(c));
    if trimmed.is_empty() {
        return (start, end);
    }
    let head = span.len()
        - span
            .trim_start_matches(|c| OPENING.contains(&c) || pictograph(c))
            .len();
    (start + head, start + head + trimmed.len())
}

/// Entity spans `(type, first word, last word + 1)` of a valid BIO tag sequence.
pub(crate) fn tag_spans(tags: &[usize]) -> Vec<(usize, usize, usize)> {
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    for (i, &tag) in tags.iter().enumerate() {
        if tag == 0 {
            continue;
        }
        let k = (tag - 1) / 2;
        match spans.last_mut() {
            Some(span) if tag == inside_tag(k) && span.0 == k && span.2 == i => span.2 = i + 1,
            _ => spans.push((k, i, i + 1)),
        }
    }
    spans
}

/// Learns BIO transition scores from gold tag sequences.
///
/// With add-`smoothing` estimates over the allowed transitions, the score of `prev → cur` is
/// `weight · (ln P(cur | prev) − ln P(cur))`: the pointwise mutual information of the bigram,
/// so that the tag prior already inside the head's per-word posteriors is not counted twice.
/// Disallowed transitions get 0 (the decoder never takes them). Returns `(tags + 1) × tags`
/// row-major, row 0 = sequence start.
pub(crate) fn learn_transitions(
    sequences: &[&[u32]],
    n_tags: usize,
    smoothing: f32,
    weight: f32,
) -> Vec<f32> {
    let rows = n_tags + 1;
    let mut counts = vec![0f32; rows * n_tags];
    let mut unigram = vec![0f32; n_tags];
    for seq in sequences {
        let mut prev = 0; // start row
        for &tag in seq.iter() {
            let tag = tag as usize;
            counts[prev * n_tags + tag] += 1.0;
            unigram[tag] += 1.0;
            prev = tag + 1;
        }
    }
    let total: f32 = unigram.iter().sum();
    let prior: Vec<f32> = unigram
        .iter()
        .map(|&c| ((c + smoothing) / (total + smoothing * n_tags as f32)).ln())
        .collect();
    let mut scores = vec![0f32; rows * n_tags];
    for row in 0..rows {
        let prev = row.checked_sub(1);
        let ok: Vec<usize> = (0..n_tags).filter(|&c| allowed(prev, c)).collect();
        let sum: f32 = ok
            .iter()
            .map(|&c| counts[row * n_tags + c] + smoothing)
            .sum();
        for &c in &ok {
            let p = (counts[row * n_tags + c] + smoothing) / sum;
            scores[row * n_tags + c] = weight * (p.ln() - prior[c]);
        }
    }
    scores
}

/// Converts increasing byte offsets of a text into character offsets in one pass.
pub(crate) struct CharOffsets<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharOffsets<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            byte: 0,
            chars: 0,
        }
    }

    /// Character offset of byte offset `byte` (must be a char boundary).
    pub fn char_offset(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lp(probs: &[f32]) -> Vec<f32> {
        probs.iter().map(|p| p.ln()).collect()
    }

    #[test]
    fn personal_data_leaves_entity_texts_and_values() {
        use crate::rules::Value;
        let text = "ship to Anna, anna@example.se, card 4111 1111 1111 1111";
        let entity = |label: &str, start: usize, end: usize, value: Option<Value>| Entity {
            label: label.into(),
            text: char_slice(text, start, end),
            start,
            end,
            confidence: 0.9,
            source: EntitySource::Rule,
            value,
        };
        let card = Value::Card {
            brand: "visa".into(),
            last4: "1111".into(),
        };
        let removed = [
            Entity {
                text: "[EMAIL]".into(),
                ..entity("email", 14, 29, None)
            },
            Entity {
                text: "[CARD]".into(),
                ..entity("card", 36, 55, None)
            },
        ];
        let entities = vec![
            entity("person_name", 8, 12, None),
            // A model span that swallowed the e-mail and more.
            entity("person_name", 8, 29, None),
            entity(
                "email",
                14,
                29,
                Some(Value::Email {
                    value: "anna@example.se".into(),
                }),
            ),
            entity("card", 36, 55, Some(card.clone())),
        ];
        let clean = without_personal_data(text, entities, &removed);
        let got: Vec<(&str, Option<&Value>)> = clean
            .iter()
            .map(|e| (e.text.as_str(), e.value.as_ref()))
            .collect();
        assert_eq!(
            got,
            [
                ("Anna", None),
                ("Anna, [EMAIL]", None),
                ("[EMAIL]", None),
                ("[CARD]", Some(&card)),
            ]
        );
    }

    fn char_slice(text: &str, start: usize, end: usize) -> String {
        text.chars().skip(start).take(end - start).collect()
    }

    /// A model entity over the ASCII `text[start..end]`.
    fn model_entity(text: &str, label: &str, start: usize, end: usize) -> Entity {
        Entity {
            label: label.into(),
            text: text[start..end].into(),
            start,
            end,
            confidence: 0.8,
            source: EntitySource::Model,
            value: None,
        }
    }

    /// A model `order_id` is the id it covers, whatever number matched inside it; an
    /// order-id rule's value (upper case, without `#`) stays.
    #[test]
    fn model_order_ids_are_their_own_value() {
        use crate::rules::{Match, MatchSource, Value};
        let text = "cancel order #7781-2290 or #a-10293 now";
        let model = |start: usize, end: usize| model_entity(text, "order_id", start, end);
        let rule = |start: usize, end: usize, value: Value| Match {
            start,
            end,
            label: "number".into(),
            value,
            source: MatchSource::Rule,
            confidence: 0.9,
        };
        let number = Value::Number { value: 2290.0 };
        let rule_id = Value::OrderId {
            value: "A-10293".into(),
        };
        let id = |v: &str| {
            Some(Value::OrderId {
                value: v.to_owned(),
            })
        };
        let merged = merge(
            text,
            vec![model(13, 23), model(27, 35)],
            vec![rule(19, 23, number), rule(28, 35, rule_id.clone())],
        );
        let values: Vec<_> = merged.iter().map(|e| e.value.clone()).collect();
        assert_eq!(values, vec![id("7781-2290"), Some(rule_id)]);
        // Without any rule match, and for a span of punctuation alone; the span loses the
        // space and `#` at its start.
        let merged = merge(text, vec![model(12, 23), model(26, 27)], vec![]);
        let values: Vec<_> = merged.iter().map(|e| e.value.clone()).collect();
        assert_eq!(values, vec![id("7781-2290"), None]);
        let first = &merged[0];
        assert_eq!(
            (first.text.as_str(), first.start, first.end),
            ("7781-2290", 14, 23)
        );
        assert_eq!(&text[first.start..first.end], first.text);
    }

    /// An amount of money or a size is never an order number: the model's `order_id`
    /// "1299" of "1299 kr" and "44" of "size 44" give way to them.
    #[test]
    fn model_order_ids_give_way_to_money_and_sizes() {
        use crate::rules::{Match, MatchSource, Value};
        let text = "I want my 1299 kr back, size 44";
        let rule = |label: &str, start: usize, end: usize, value: Value| Match {
            start,
            end,
            label: label.into(),
            value,
            source: MatchSource::Rule,
            confidence: 0.9,
        };
        let money = Value::Money {
            amount: "1299.00".into(),
            currency: "SEK".into(),
        };
        let size = Value::Size {
            value: "44".into(),
            system: "number".into(),
        };
        let merged = merge(
            text,
            vec![
                model_entity(text, "order_id", 10, 14),
                model_entity(text, "order_id", 29, 31),
            ],
            vec![
                rule("money", 10, 17, money.clone()),
                rule("size", 24, 31, size.clone()),
            ],
        );
        let got: Vec<_> = merged
            .iter()
            .map(|e| (e.label.as_str(), e.text.as_str(), e.value.as_ref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("money", "1299 kr", Some(&money)),
                ("size", "size 44", Some(&size))
            ]
        );
    }

    #[test]
    fn model_fragments_of_an_email_give_way_but_amounts_keep_their_label() {
        use crate::rules::{Match, MatchSource, Value};
        let text = "refund 160 dollars to anna@example.se";
        let model = |label: &str, start: usize, end: usize| model_entity(text, label, start, end);
        let rule = |label: &str, start: usize, end: usize, value: Value| Match {
            start,
            end,
            label: label.into(),
            value,
            source: MatchSource::Rule,
            confidence: 0.95,
        };
        let money = Value::Money {
            amount: "160.00".into(),
            currency: "USD".into(),
        };
        let email = Value::Email {
            value: "anna@example.se".into(),
        };
        let merged = merge(
            text,
            vec![model("refund_amount", 7, 10), model("person_name", 22, 26)],
            vec![
                rule("money", 7, 18, money.clone()),
                rule("email", 22, 37, email.clone()),
            ],
        );
        let got: Vec<(&str, &str, Option<&Value>)> = merged
            .iter()
            .map(|e| (e.label.as_str(), e.text.as_str(), e.value.as_ref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("refund_amount", "160", Some(&money)),
                ("email", "anna@example.se", Some(&email)),
            ]
        );
        // A model entity that covers the whole address gives way to it as well.
        let merged = merge(
            text,
            vec![model("order_id", 22, 37)],
            vec![rule("email", 22, 37, email.clone())],
        );
        assert_eq!(merged.len(), 1);
        assert_eq!(
            (merged[0].label.as_str(), merged[0].value.as_ref()),
            ("email", Some(&email))
        );
    }

    /// A product takes the colour and size in and next to it (linked by "in", "i", a comma),
    /// a number in its name stays part of it, and an attribute right before another product
    /// is that one's; the attributes next to a product stay entities.
    #[test]
    fn products_take_the_colour_and_size_next_to_them() {
        use crate::rules::{Match, MatchSource, Value};
        let rule = |text: &str, needle: &str, value: Value| {
            let start = text.find(needle).unwrap();
            Match {
                start,
                end: start + needle.len(),
                label: match value {
                    Value::Color { .. } => "color",
                    Value::Size { .. } => "size",
                    _ => "number",
                }
                .into(),
                value,
                source: MatchSource::Rule,
                confidence: 0.9,
            }
        };
        let color = |c: &str| Value::Color { value: c.into() };
        let size = |v: &str| Value::Size {
            value: v.into(),
            system: "number".into(),
        };
        let product = |text: &str, needle: &str| {
            let start = text.find(needle).unwrap();
            model_entity(text, "product", start, start + needle.len())
        };
        let attrs = |c: Option<&str>, s: Option<&str>| {
            Some(Value::Product {
                color: c.map(Into::into),
                size: s.map(Into::into),
                size_system: s.map(|_| "number".into()),
            })
        };

        let text = "har ni svarta Air Max 90 i storlek 43?";
        let merged = merge(
            text,
            vec![product(text, "Air Max 90")],
            vec![
                rule(text, "svarta", color("black")),
                rule(text, "90", Value::Number { value: 90.0 }),
                rule(text, "storlek 43", size("43")),
            ],
        );
        let labels: Vec<&str> = merged.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["color", "product", "size"]);
        assert_eq!(merged[1].value, attrs(Some("black"), Some("43")));

        // Inside the span; a second colour does not replace the first.
        let text = "the black leather boots in brown";
        let merged = merge(
            text,
            vec![product(text, "black leather boots")],
            vec![
                rule(text, "black", color("black")),
                rule(text, "brown", color("brown")),
            ],
        );
        assert_eq!(merged[0].value, attrs(Some("black"), None));
        assert_eq!(merged.len(), 2);

        // "red" belongs to the scarf, not the hoodie; "and" links nothing.
        let text = "the hoodie and red scarf, size 40";
        let merged = merge(
            text,
            vec![product(text, "hoodie"), product(text, "scarf")],
            vec![
                rule(text, "red", color("red")),
                rule(text, "size 40", size("40")),
            ],
        );
        let products: Vec<_> = merged.iter().filter(|e| e.label == "product").collect();
        assert_eq!(products[0].value, None, "{merged:?}");
        assert_eq!(products[1].value, attrs(Some("red"), Some("40")));

        // The model cut "black" off as a product of its own: it is the colour of the next.
        let text = "the black running shoes in size 42";
        let merged = merge(
            text,
            vec![product(text, "black"), product(text, "running shoes")],
            vec![
                rule(text, "black", color("black")),
                rule(text, "size 42", size("42")),
            ],
        );
        let products: Vec<_> = merged.iter().filter(|e| e.label == "product").collect();
        assert_eq!(products.len(), 1, "{merged:?}");
        assert_eq!(products[0].text, "running shoes");
        assert_eq!(products[0].value, attrs(Some("black"), Some("42")));
        assert!(merged.iter().any(|e| e.label == "color"), "{merged:?}");

        // Too far away: no attribute.
        let text = "the shoes are nice but I wanted black";
        let merged = merge(
            text,
            vec![product(text, "shoes")],
            vec![rule(text, "black", color("black"))],
        );
        assert_eq!(merged[0].value, None);
    }

    #[test]
    fn the_catalog_wins_over_model_entities() {
        use crate::rules::{Match, MatchSource, Value};
        let text = "is the Nike Air Max 90 in stock?";
        let model = |label: &str, start: usize, end: usize| model_entity(text, label, start, end);
        let entry = Value::Catalog {
            id: "SKU-90".into(),
            entry_type: "product".into(),
            name: "Nike Air Max 90".into(),
        };
        let catalog = Match {
            start: 7,
            end: 22,
            label: "product".into(),
            value: entry.clone(),
            source: MatchSource::Gazetteer,
            confidence: 1.0,
        };
        let merged = merge(
            text,
            vec![model("brand", 7, 11), model("product", 12, 19)],
            vec![catalog],
        );
        assert_eq!(merged.len(), 1, "{merged:?}");
        let e = &merged[0];
        assert_eq!(
            (e.text.as_str(), e.source),
            ("Nike Air Max 90", EntitySource::Gazetteer)
        );
        assert_eq!(e.value.as_ref(), Some(&entry));
    }

    #[test]
    fn a_date_wins_over_model_entities_inside_it_not_over_one_reaching_beyond() {
        use crate::rules::{Match, MatchSource, Value};
        let date = |start: usize, end: usize| Match {
            start,
            end,
            label: "date".into(),
            value: Value::Date {
                value: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            },
            source: MatchSource::Rule,
            confidence: 1.0,
        };
        let text = "kan ni hämta dem på fredag?";
        // Model entities by their text, with character offsets.
        let model = |part: &str| {
            let byte = text.find(part).unwrap();
            let start = text[..byte].chars().count();
            Entity {
                end: start + part.chars().count(),
                start,
                ..model_entity(part, "person_name", 0, part.len())
            }
        };
        let b = text.find("på fredag").unwrap();
        let merged = merge(
            text,
            vec![model("på"), model("fredag")],
            vec![date(b, b + "på fredag".len())],
        );
        assert_eq!(merged.len(), 1, "{merged:?}");
        assert_eq!(
            (merged[0].label.as_str(), merged[0].text.as_str()),
            ("date", "på fredag")
        );

        let text = "do you have a christmas sweater?";
        let start = text.find("christmas").unwrap();
        let merged = merge(
            text,
            vec![model_entity(
                text,
                "product",
                start,
                start + "christmas sweater".len(),
            )],
            vec![date(start, start + "christmas".len())],
        );
        assert_eq!(merged.len(), 1, "{merged:?}");
        assert_eq!(merged[0].label, "product");
    }

    #[test]
    fn bio_transitions() {
        // tags: 0 O, 1 B-a, 2 I-a, 3 B-b, 4 I-b
        let cases = [
            (None, 2, false),
            (None, 1, true),
            (Some(0), 2, false),
            (Some(1), 2, true),
            (Some(2), 2, true),
            (Some(3), 2, false),
            (Some(4), 4, true),
            (Some(2), 4, false),
            (Some(4), 0, true),
        ];
        for (prev, cur, ok) in cases {
            assert_eq!(allowed(prev, cur), ok, "{prev:?} -> {cur}");
        }
    }

    #[test]
    fn viterbi_never_emits_invalid_sequences() {
        // Argmax would be I-a, I-b, I-a: invalid. Viterbi must repair it.
        let probs = [
            lp(&[0.1, 0.3, 0.4, 0.1, 0.1]),
            lp(&[0.1, 0.1, 0.2, 0.2, 0.4]),
            lp(&[0.3, 0.1, 0.5, 0.05, 0.05]),
        ];
        let words: Vec<Word> = probs
            .iter()
            .enumerate()
            .map(|(i, p)| Word {
                start: i * 2,
                end: i * 2 + 1,
                log_probs: p,
            })
            .collect();
        let tags = viterbi(words.iter().map(|w| w.log_probs), None);
        let mut prev = None;
        for &t in &tags {
            assert!(allowed(prev, t), "{tags:?}");
            prev = Some(t);
        }
        // Best valid path: B-a I-a I-a = .3*.2*.5 = .03 beats B-a B-b I-b... = .3*.2*.05
        assert_eq!(tags, vec![1, 2, 2]);
        // Argmax with repair: each stray I- becomes a B- of its own type.
        assert_eq!(
            argmax_repaired(words.iter().map(|w| w.log_probs)),
            vec![1, 3, 1]
        );
    }

    #[test]
    fn learned_transitions_change_the_best_path() {
        // tags: 0 O, 1 B-a, 2 I-a
        let words = [
            lp(&[0.1, 0.8, 0.1]),
            lp(&[0.5, 0.1, 0.4]),
            lp(&[0.6, 0.1, 0.3]),
        ];
        let rows = |r: [[f32; 3]; 4]| -> Vec<f32> {
            r.iter()
                .flatten()
                .map(|&p| if p > 0.0 { p.ln() } else { 0.0 })
                .collect()
        };
        // P(cur | prev); rows: start, after O, after B-a, after I-a (0 = disallowed).
        let t = rows([
            [0.5, 0.5, 0.0],
            [0.5, 0.5, 0.0],
            [0.1, 0.1, 0.8],
            [0.5, 0.1, 0.4],
        ]);
        let emissions = || words.iter().map(|w| w.as_slice());
        // Without transitions: B O O (.8·.5·.6 = .24) beats B I O (.8·.4·.6 = .192).
        assert_eq!(argmax_repaired(emissions()), vec![1, 0, 0]);
        assert_eq!(viterbi(emissions(), None), vec![1, 0, 0]);
        // With them: B I O = (.8·.5)(.4·.8)(.6·.5) = .0384 beats B O O = .4·(.5·.1)(.6·.5) = .006
        // and B I I = .4·.32·(.3·.4) = .01536.
        assert_eq!(viterbi(emissions(), Some(&t)), vec![1, 2, 0]);
        assert_eq!(
            decode_tags(emissions(), Decoding::Learned(&t)),
            vec![1, 2, 0]
        );
        // Even transitions that favour it never produce an I- at the start or after O.
        let mut bad = t.clone();
        bad[2] = 10.0; // start -> I-a
        bad[3 + 2] = 10.0; // O -> I-a
        let tags = viterbi(emissions(), Some(&bad));
        assert!(tags.first() != Some(&2) && tags.windows(2).all(|w| allowed(Some(w[0]), w[1])));
    }

    #[test]
    fn transitions_from_tag_bigrams() {
        // O B I O, B I I, O O
        let seqs: [&[u32]; 3] = [&[0, 1, 2, 0], &[1, 2, 2], &[0, 0]];
        let t = learn_transitions(&seqs, 3, 0.5, 1.0);
        let at = |prev: Option<usize>, cur: usize| t[prev.map_or(0, |p| p + 1) * 3 + cur];
        // B-a is always followed by I-a here: that bigram scores above B-a -> O.
        assert!(at(Some(1), 2) > at(Some(1), 0));
        // Disallowed transitions stay 0 (the decoder never takes them).
        assert_eq!(at(None, 2), 0.0);
        assert_eq!(at(Some(0), 2), 0.0);
        // By hand: start row counts O 2, B 1, I -; smoothed P(O | start) = 2.5 / 4;
        // prior P(O) = (4 + .5) / (9 + 1.5).
        let expected = (2.5f32 / 4.0).ln() - (4.5f32 / 10.5).ln();
        assert!((at(None, 0) - expected).abs() < 1e-6);
        // Weight 0 means plain constrained decoding.
        assert!(
            learn_transitions(&seqs, 3, 0.5, 0.0)
                .iter()
                .all(|&x| x == 0.0)
        );
    }

    #[test]
    fn spans_lose_surrounding_punctuation() {
        let text = "(Göteborg?), #A-10293, \"x\"";
        let range = |s: &str| {
            let start = text.find(s).unwrap();
            (start, start + s.len())
        };
        let trim = |s: &str| {
            let (a, b) = range(s);
            let (a, b) = trim_punctuation(text, a, b);
            &text[a..b]
        };
        assert_eq!(trim("(Göteborg?),"), "Göteborg");
        assert_eq!(trim("#A-10293,"), "#A-10293");
        assert_eq!(trim("\"x\""), "x");
        assert_eq!(trim("?),"), "?),");
        let text = "order 113542617735902 🙏 or 00004587345 ✅ 👨‍👩‍👧‍👦";
        let (a, b) = trim_punctuation(text, 6, text.len());
        assert_eq!(&text[a..b], "113542617735902 🙏 or 00004587345");
        let family = text.find('👨').unwrap();
        assert_eq!(
            trim_punctuation(text, family, text.len()),
            (family, text.len())
        );
    }

    #[test]
    fn spans_of_tag_sequences() {
        // B-a I-a O B-b B-b I-b
        assert_eq!(
            tag_spans(&[1, 2, 0, 3, 3, 4]),
            vec![(0, 0, 2), (1, 3, 4), (1, 4, 6)]
        );
    }

    #[test]
    fn spans_use_character_offsets() {
        let text = "Köp 2 st Åre-mössor nu";
        // words: "Köp" 0..4 bytes, "2" 5..6, "st" 7..9, "Åre-mössor" 10..22
        let o = lp(&[0.9, 0.05, 0.05]);
        let b = lp(&[0.1, 0.8, 0.1]);
        let i = lp(&[0.1, 0.1, 0.8]);
        let words = [
            Word {
                start: 0,
                end: 4,
                log_probs: &o,
            },
            Word {
                start: 5,
                end: 6,
                log_probs: &o,
            },
            Word {
                start: 7,
                end: 9,
                log_probs: &o,
            },
            Word {
                start: 10,
                end: 14,
                log_probs: &b,
            },
            Word {
                start: 14,
                end: 15,
                log_probs: &i,
            },
            Word {
                start: 15,
                end: 22,
                log_probs: &i,
            },
            Word {
                start: 23,
                end: 25,
                log_probs: &o,
            },
        ];
        let entities = decode(text, &words, &["product".into()], Decoding::Constrained);
        assert_eq!(entities.len(), 1);
        let e = &entities[0];
        assert_eq!(e.text, "Åre-mössor");
        let chars: String = text.chars().skip(e.start).take(e.end - e.start).collect();
        assert_eq!(chars, e.text);
        assert_eq!((e.start, e.end), (9, 19));
        assert!((e.confidence - 0.8).abs() < 1e-5);
    }

    #[test]
    fn a_span_of_punctuation_alone_is_no_entity() {
        let text = "charged twice for order # A-10293";
        let (o, b) = ([0f32, -9.0, -9.0], [-9.0, 0f32, -9.0]);
        let word = |start, end, log_probs| Word {
            start,
            end,
            log_probs,
        };
        let words = [
            word(0, 7, &o[..]),
            word(24, 25, &b[..]),
            word(26, 33, &b[..]),
        ];
        let entities = decode(text, &words, &["order_id".into()], Decoding::Argmax);
        let texts: Vec<&str> = entities.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["A-10293"]);
    }
}
