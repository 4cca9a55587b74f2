use tolka::rules::Value;
use tolka::{Analyzer, Device, Error, Precision, SentimentLabel};

use crate::{analyzer, char_slice, model_dir};

#[test]
fn analyzer_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Analyzer>();
}

/// The default precision is f16 weights where the packed kernels run (x86-64 with AVX-512
/// or AVX2, FMA and F16C), and on the default model it reads natural messages as f32 does:
/// the same intents, sentiments and entity spans, confidences within 1e-3.
#[test]
fn f16_weights_are_the_default_and_read_messages_as_f32_does() {
    let default = analyzer();
    let f32 = Analyzer::builder(model_dir())
        .precision(Precision::F32)
        .build()
        .unwrap();
    assert_eq!(f32.precision(), Precision::F32);
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("f16c")
        && (is_x86_feature_detected!("avx512f")
            || (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")))
    {
        assert_eq!(default.precision(), Precision::F16);
    }
    let texts = [
        "hey where is my parcel?? ordered 2 weeks ago, order A-10293",
        "my card was charged twice for order #A-10293, I'm furious",
        "do you have the black running shoes in size 42?",
        "kan jag få pengarna tillbaka för jackan?",
        "thanks, that was really helpful!",
    ];
    let (a, b) = (
        default.analyze_batch(&texts).unwrap(),
        f32.analyze_batch(&texts).unwrap(),
    );
    for ((text, x), y) in texts.iter().zip(&a).zip(&b) {
        let (ix, iy) = (x.intent.as_ref().unwrap(), y.intent.as_ref().unwrap());
        assert_eq!(ix.label, iy.label, "{text}");
        assert!(
            (ix.confidence - iy.confidence).abs() < 1e-3,
            "{text}: {ix:?} vs {iy:?}"
        );
        let (sx, sy) = (x.sentiment.as_ref().unwrap(), y.sentiment.as_ref().unwrap());
        assert_eq!(sx.label, sy.label, "{text}");
        let spans = |e: &Option<Vec<tolka::Entity>>| {
            e.iter()
                .flatten()
                .map(|e| (e.label.clone(), e.start, e.end))
                .collect::<Vec<_>>()
        };
        assert_eq!(spans(&x.entities), spans(&y.entities), "{text}");
    }
}

#[test]
fn padded_batch_equals_one_at_a_time() {
    let texts = [
        "hi",
        "where is my order 113542617735902? it was due last week and nobody answers my emails",
        "I want a refund of 160 dollars",
        "can you tell me a joke",
        "how do I change the shipping address to Boston for order 00004587345",
    ];
    let a = analyzer();
    let batch = a.embed(&texts).unwrap();
    let analyses = a.analyze_batch(&texts).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let single = a.embed(&[text]).unwrap();
        let max_diff = single
            .row(0)
            .iter()
            .zip(batch.row(i))
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(max_diff < 1e-4, "{text}: embedding differs by {max_diff}");

        let alone = a.analyze(text).unwrap();
        let (x, y) = (alone.intent.unwrap(), analyses[i].intent.clone().unwrap());
        assert_eq!(x.label, y.label);
        for ((lx, px), (ly, py)) in x.top.iter().zip(&y.top) {
            assert_eq!(lx, ly);
            assert!((px - py).abs() < 1e-4, "{text}: {px} vs {py}");
        }
        let (sx, sy) = (
            alone.sentiment.unwrap(),
            analyses[i].sentiment.clone().unwrap(),
        );
        assert!((sx.score - sy.score).abs() < 1e-4);
        let (ex, ey) = (
            alone.entities.unwrap(),
            analyses[i].entities.clone().unwrap(),
        );
        assert_eq!(ex.len(), ey.len());
        for (e1, e2) in ex.iter().zip(&ey) {
            assert_eq!((e1.start, e1.end, &e1.label), (e2.start, e2.end, &e2.label));
            assert!((e1.confidence - e2.confidence).abs() < 1e-4);
        }
    }
}

#[test]
fn embeddings_are_unit_length_and_meaningful() {
    let texts = ["where is my package", "track my parcel", "tell me a joke"];
    let e = analyzer().embed(&texts).unwrap();
    assert_eq!(e.shape(), [3, 384]);
    for row in e.rows() {
        assert!((row.dot(&row) - 1.0).abs() < 1e-4);
    }
    assert_eq!(analyzer().embed(&[]).unwrap().shape(), [0, 384]);
    // commerce-en's encoder is LoRA-tuned for its heads, which does not keep cosine
    // similarity; a package over the frozen encoder gives the sentence-similarity space.
    let frozen = Analyzer::from_dir(model_dir().join("../benchmarks/clinc150")).unwrap();
    let v = frozen.embed(&texts).unwrap();
    let (close, far) = (v.row(0).dot(&v.row(1)), v.row(0).dot(&v.row(2)));
    assert!(close > far + 0.2, "paraphrase {close}, unrelated {far}");
}

#[test]
fn recognises_commerce_requests() {
    let cases = [
        (
            "I want to track my order 113542617735902",
            "track_order",
            Some(("order_id", "113542617735902")),
        ),
        ("how can I get a refund of 160 dollars?", "get_refund", None),
        (
            "I need to talk to a human agent now",
            "contact_human_agent",
            None,
        ),
    ];
    for (text, intent, entity) in cases {
        let a = analyzer().analyze(text).unwrap();
        let i = a.intent.unwrap();
        assert_eq!(i.label, intent, "{text}: {i:?}");
        assert!(!i.out_of_scope);
        if let Some((label, surface)) = entity {
            let entities = a.entities.unwrap();
            assert!(
                entities
                    .iter()
                    .any(|e| e.label == label && e.text == surface),
                "{text}: {entities:?}"
            );
        }
    }
    let joke = analyzer()
        .analyze("what's the weather like in Paris tomorrow?")
        .unwrap();
    assert!(joke.intent.unwrap().out_of_scope);
    let angry = analyzer()
        .analyze("this is the worst service ever, I am furious and disappointed")
        .unwrap();
    assert_eq!(angry.sentiment.unwrap().label, SentimentLabel::Negative);
}

/// Messages written the way shoppers write, none of them in the training data: the intents
/// of the 44-intent taxonomy, neutral requests, and the emotions of an angry one.
#[test]
fn understands_natural_shopper_messages() {
    let cases = [
        ("hey where is my parcel??", "track_order"),
        ("do you take klarna", "check_payment_methods"),
        ("I was charged two times for my order", "payment_issue"),
        ("want to send back the shoes, too small", "return_item"),
        (
            "any gift ideas for my dad under $50?",
            "product_recommendation",
        ),
        ("thank you so much, that helped", "thanks"),
        (
            "is the green hoodie available in XL?",
            "product_availability",
        ),
        (
            "the package says delivered but there is nothing at my door",
            "missing_delivery",
        ),
        ("hello there", "greeting"),
        ("are you a robot or a person?", "bot_challenge"),
    ];
    let texts: Vec<&str> = cases.iter().map(|(t, _)| *t).collect();
    let analyses = analyzer().analyze_batch(&texts).unwrap();
    let misses: Vec<String> = cases
        .iter()
        .zip(&analyses)
        .filter(|((_, intent), a)| a.intent.as_ref().unwrap().label != *intent)
        .map(|((text, _), a)| format!("{text} → {}", a.intent.as_ref().unwrap().label))
        .collect();
    // Measured: 9 of 10 (a lower-case "do you take klarna" comes back `oos`).
    assert!(misses.len() <= 1, "{misses:?}");
    let plain = analyzer()
        .analyze("can I change my delivery address?")
        .unwrap();
    assert_eq!(plain.sentiment.unwrap().label, SentimentLabel::Neutral);
    let furious = analyzer()
        .analyze("third time I write and nobody answers, I'm so angry")
        .unwrap();
    assert_eq!(furious.sentiment.unwrap().label, SentimentLabel::Negative);
    let emotions = furious.emotions.expect("commerce-en has an emotion head");
    assert!(
        emotions
            .iter()
            .any(|e| ["anger", "annoyance", "disappointment"].contains(&e.label.as_str())),
        "{emotions:?}"
    );
}

#[test]
fn entity_offsets_are_character_offsets() {
    let texts = [
        "Hej 😀 där! I want to track order 113542617735902 åäö please",
        "ÅÄÖ 🚚🚚 cancel purchase 00004587345 — tack",
        "can I get the invoice 2353422 for John Smith ✨",
    ];
    let mut found = 0;
    for (text, analysis) in texts.iter().zip(analyzer().analyze_batch(&texts).unwrap()) {
        for e in analysis.entities.unwrap() {
            assert!(e.start < e.end && e.end <= text.chars().count());
            assert_eq!(char_slice(text, e.start, e.end), e.text, "{text}");
            found += 1;
        }
    }
    assert!(found >= 2, "the order numbers should be found");
    let a = analyzer().analyze(texts[0]).unwrap();
    let order = a
        .entities
        .unwrap()
        .into_iter()
        .find(|e| e.label == "order_id")
        .unwrap();
    assert_eq!((order.start, order.end), (33, 48));
}

/// An order number that no order-id pattern knows ("7781-2290", a bare number after "its")
/// is still an order id when the model tags it: its value is the id, not a number inside it.
#[test]
fn model_order_ids_keep_the_whole_id_as_their_value() {
    for (text, id) in [
        ("Cancel order 7781-2290 NOW, nobody answers", "7781-2290"),
        ("hi can u cancel my order pls, its 10045872", "10045872"),
    ] {
        let order = analyzer()
            .analyze(text)
            .unwrap()
            .entities
            .unwrap()
            .into_iter()
            .find(|e| e.label == "order_id")
            .unwrap_or_else(|| panic!("no order id in {text:?}"));
        assert_eq!(order.text, id);
        assert_eq!(
            order.value,
            Some(Value::OrderId { value: id.into() }),
            "{text}"
        );
    }
}

/// A range of days in one month is one date entity, the interval of those days, beside
/// what the model finds in the message.
#[test]
fn a_range_of_days_is_one_interval() {
    use chrono::Datelike;
    for text in [
        "I'll be away from 3 to 10 January, can you hold the package?",
        "Jag är bortrest 3–10 januari, kan ni hålla paketet?",
    ] {
        let dates: Vec<_> = analyzer()
            .analyze(text)
            .unwrap()
            .entities
            .unwrap()
            .into_iter()
            .filter(|e| e.label == "date")
            .collect();
        assert_eq!(dates.len(), 1, "{text}: {dates:?}");
        let Some(Value::Interval { from, to }) = dates[0].value else {
            panic!("{text}: {:?}", dates[0].value);
        };
        assert_eq!(
            (from.month(), from.day(), to.month(), to.day()),
            (1, 3, 1, 11),
            "{text}"
        );
    }
}

/// Tracking numbers come out as themselves, not as order ids or numbers: a UPS number by
/// its check digit, any number after "spårningsnummer".
#[test]
fn tracking_numbers_are_their_own_entities() {
    for (text, id, carrier) in [
        (
            "my tracking number is 1Z999AA10123456784, where is it?",
            "1Z999AA10123456784",
            Some("ups"),
        ),
        (
            "hej, spårningsnummer 00370712345678901234 står still sedan i måndags",
            "00370712345678901234",
            None,
        ),
    ] {
        let entities = analyzer().analyze(text).unwrap().entities.unwrap();
        let tracking: Vec<_> = entities
            .iter()
            .filter(|e| e.text.contains(&id[..8]))
            .collect();
        assert_eq!(tracking.len(), 1, "{text}: {entities:?}");
        assert_eq!(tracking[0].label, "tracking_number", "{text}");
        assert_eq!(
            tracking[0].value,
            Some(Value::TrackingNumber {
                value: id.into(),
                carrier: carrier.map(str::to_owned),
            })
        );
    }
}

/// A payment method is named as such, not taken for a brand: the chatbot gets the slot.
#[test]
fn payment_methods_are_their_own_entities() {
    let entities = analyzer()
        .analyze("can I pay with Klarna or PayPal?")
        .unwrap()
        .entities
        .unwrap();
    let got: Vec<_> = entities
        .iter()
        .map(|e| (e.label.as_str(), e.value.clone()))
        .collect();
    let method = |v: &str| {
        Some(Value::PaymentMethod {
            value: v.to_owned(),
        })
    };
    assert_eq!(
        got,
        vec![
            ("payment_method", method("klarna")),
            ("payment_method", method("paypal"))
        ]
    );
}

#[test]
fn empty_and_whitespace_texts_are_out_of_scope_and_neutral() {
    // Invisible text too: zero-width space and joiner, BOM, soft hyphen, a lone combining
    // mark, a control character, bidi marks.
    let invisible = [
        "\u{200B}\u{200D}",
        "\u{FEFF}",
        "\u{00AD}\u{0301}",
        "\u{0007}\u{200E}\u{2066}",
    ];
    for text in ["", "   ", "\n\t "].into_iter().chain(invisible) {
        let a = analyzer().analyze(text).unwrap();
        let intent = a.intent.unwrap();
        assert!(intent.out_of_scope, "{text:?}");
        assert_eq!(intent.label, "oos");
        assert!(a.entities.unwrap().is_empty());
        let s = a.sentiment.unwrap();
        assert_eq!((s.label, s.score), (SentimentLabel::Neutral, 0.0));
    }
}

#[test]
fn long_texts_find_entities_beyond_the_max_length() {
    let filler = "I have been waiting for a very long time and nothing happens at all. ".repeat(40);
    let text = format!("{filler}Please track my order 113542617735902 now");
    let a = analyzer().analyze(&text).unwrap();
    assert!(a.intent.is_some() && a.sentiment.is_some());
    let entities = a.entities.unwrap();
    let order = entities
        .iter()
        .find(|e| e.text == "113542617735902")
        .unwrap_or_else(|| panic!("order id not found in {entities:?}"));
    assert_eq!(char_slice(&text, order.start, order.end), order.text);
    assert_eq!(
        order.start,
        filler.chars().count() + "Please track my order ".len()
    );
}

#[test]
fn hostile_inputs_do_not_panic() {
    let word: String = "ε".repeat(200);
    let huge = format!("{word} ").repeat(1_000_000 / 401);
    assert!(huge.len() >= 990_000);
    let texts = [
        "\u{0}\u{1}\u{7}\u{1b}[31m control \u{200b}\u{feff}",
        "🛒🛍️💳📦👍🏽👨‍👩‍👧",
        "Mixed: русский 中文 العربية עברית हिन्दी 日本語 order 12345",
        "\u{0301}\u{0301} combining marks",
        huge.as_str(),
        "a",
    ];
    let analyses = analyzer().analyze_batch(&texts).unwrap();
    assert_eq!(analyses.len(), texts.len());
    for (text, a) in texts.iter().zip(&analyses) {
        for e in a.entities.as_ref().unwrap() {
            assert_eq!(char_slice(text, e.start, e.end), e.text);
        }
        let s = a.sentiment.as_ref().unwrap();
        assert!((-1.0..=1.0).contains(&s.score));
    }
}

#[test]
fn builder_rejects_bad_options() {
    for size in [0, 1_000_000_000] {
        let err = Analyzer::builder(model_dir())
            .batch_size(size)
            .build()
            .err()
            .unwrap();
        assert!(matches!(err, Error::Config(_)), "{err}");
    }
    let err = Analyzer::builder(model_dir())
        .max_length(100_000)
        .build()
        .err()
        .unwrap();
    assert!(matches!(err, Error::Config(_)), "{err}");
    let err = Analyzer::builder(model_dir())
        .threads(0)
        .build()
        .err()
        .unwrap();
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert!("gpu".parse::<Device>().is_err());
    assert_eq!("cuda:1".parse::<Device>().unwrap(), Device::Cuda(1));
}

#[cfg(not(feature = "cuda"))]
#[test]
fn cuda_without_the_feature_is_a_clear_error() {
    let err = Analyzer::builder(model_dir())
        .device(Device::Cuda(0))
        .build()
        .err()
        .unwrap();
    assert!(matches!(err, Error::Cuda(_)));
    assert!(err.to_string().contains("--features cuda"), "{err}");
}

#[test]
fn builder_options_keep_results() {
    let tuned = Analyzer::builder(model_dir())
        .batch_size(2)
        .threads(1)
        .max_length(16)
        .build()
        .unwrap();
    let text = "where is my order 113542617735902, it is very late and I am waiting for it";
    let a = tuned.analyze(text).unwrap();
    // The entity is found through the windows even with 14-token windows.
    assert!(
        a.entities
            .unwrap()
            .iter()
            .any(|e| e.text == "113542617735902")
    );
}

#[test]
fn default_model_reaches_its_dev_accuracy() {
    let records =
        tolka::data::read_jsonl(crate::data_dir().join("bitext-customer-support/dev.jsonl"))
            .unwrap();
    let report = tolka::eval::evaluate(analyzer(), &records, 256, &mut |_| {}).unwrap();
    let intent = report.intent.unwrap();
    assert!(
        intent.accuracy >= 0.97,
        "intent accuracy {}",
        intent.accuracy
    );
    let entities = report.entities.unwrap();
    assert!(entities.f1 >= 0.9, "entity F1 {}", entities.f1);
    assert_eq!(report.count, 450);
}

#[test]
fn rule_entities_carry_normalised_values() {
    use chrono::TimeZone;
    let reference = chrono::FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .unwrap();
    let context = tolka::rules::Context::new(reference);
    let text = "Refund $160 by tomorrow please, mail me at anna@example.se";
    let a = analyzer()
        .analyze_batch_with(&[text], &context)
        .unwrap()
        .remove(0);
    let entities = a.entities.unwrap();
    let json = |e: &tolka::Entity| serde_json::to_value(&e.value).unwrap();
    // The model's refund_amount "160" keeps its label and gains the rule's money value.
    let money = entities
        .iter()
        .find(|e| e.text.contains("160"))
        .expect("amount");
    assert_eq!(
        json(money),
        serde_json::json!({"kind": "money", "amount": "160.00", "currency": "USD"})
    );
    let date = entities
        .iter()
        .find(|e| e.text == "tomorrow")
        .expect("date");
    assert_eq!(
        json(date),
        serde_json::json!({"kind": "date", "value": "2026-11-25"})
    );
    let email = entities.iter().find(|e| e.label == "email").expect("email");
    assert_eq!(email.text, "anna@example.se");
    for e in &entities {
        assert_eq!(char_slice(text, e.start, e.end), e.text);
    }
}

#[test]
fn redaction_replaces_pii_and_nothing_else() {
    let text = "Kort 4111 1111 1111 1111, mejl anna@example.se, ring 070-123 45 67 😀 tack";
    let r = analyzer().redact(text);
    assert_eq!(r.text, "Kort [CARD], mejl [EMAIL], ring [PHONE] 😀 tack");
    let placeholders: Vec<&str> = r.entities.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(placeholders, ["[CARD]", "[EMAIL]", "[PHONE]"]);
    let originals: Vec<String> = r
        .entities
        .iter()
        .map(|e| char_slice(text, e.start, e.end))
        .collect();
    assert_eq!(
        originals,
        ["4111 1111 1111 1111", "anna@example.se", "070-123 45 67"]
    );
    // No byte of the output holds the removed data (a card keeps brand and last four).
    let json = serde_json::to_string(&r).unwrap();
    for pii in [
        "4111 1111 1111 1111",
        "4111111111111111",
        "anna@example",
        "123 45 67",
        "701234567",
    ] {
        assert!(!json.contains(pii), "{pii} in {json}");
    }
    // A Luhn-invalid 16-digit number is not a card.
    assert_eq!(
        analyzer().redact("ref 4111 1111 1111 1112").text,
        "ref 4111 1111 1111 1112"
    );
}

#[test]
fn identifies_the_language_and_lets_it_pick_the_rules_locale() {
    use chrono::TimeZone;
    let reference = chrono::FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .unwrap();
    let context = tolka::rules::Context::new(reference);
    let texts = [
        "Hej, jag vill returnera skorna jag köpte, kan ni hämta dem på fredag?",
        "Hi, I want to return the shoes I bought, can you pick them up on Friday?",
        "!!! 123",
    ];
    let analyses = analyzer().analyze_batch_with(&texts, &context).unwrap();
    let lang = |a: &tolka::Analysis| a.lang.as_ref().map(|l| l.code.clone());
    assert_eq!(lang(&analyses[0]).as_deref(), Some("sv"));
    assert_eq!(lang(&analyses[1]).as_deref(), Some("en"));
    assert_eq!(lang(&analyses[2]), None);
    // "på fredag" resolves with the Swedish rules, "on Friday" with the English ones.
    for a in &analyses[..2] {
        let entities = a.entities.as_ref().unwrap();
        let date = entities
            .iter()
            .find(|e| e.label == "date")
            .unwrap_or_else(|| panic!("a date in {entities:?}"));
        assert_eq!(
            serde_json::to_value(&date.value).unwrap(),
            serde_json::json!({"kind": "date", "value": "2026-11-27"})
        );
    }
    // An empty candidate list turns identification off; unknown codes are refused.
    let off = Analyzer::builder(model_dir())
        .languages(Vec::<String>::new())
        .build()
        .unwrap();
    assert_eq!(off.analyze(texts[0]).unwrap().lang, None);
    let built = Analyzer::builder(model_dir())
        .languages(["en", "klingon"])
        .build();
    assert!(matches!(built, Err(Error::Config(_))));
}

#[test]
fn each_text_resolves_against_its_own_context() {
    let at = |t: &str| tolka::rules::Context::new(chrono::DateTime::parse_from_rfc3339(t).unwrap());
    let texts = [
        "deliver it tomorrow",
        "deliver it tomorrow",
        "deliver it tomorrow",
    ];
    let contexts = [
        at("2026-11-24T10:00:00+01:00"),
        at("2026-12-31T23:30:00+01:00"),
        at("2026-11-24T10:00:00+01:00"),
    ];
    let analyses = analyzer().analyze_batch_each(&texts, &contexts).unwrap();
    let date = |a: &tolka::Analysis| {
        let e = a
            .entities
            .as_ref()
            .unwrap()
            .iter()
            .find(|e| e.label == "date")
            .cloned();
        serde_json::to_value(e.expect("a date").value).unwrap()["value"].clone()
    };
    assert_eq!(date(&analyses[0]), "2026-11-25");
    assert_eq!(date(&analyses[1]), "2027-01-01");
    // One pass over mixed contexts gives what separate calls give (up to the last float
    // bits, which depend on the batch's shape).
    let alone = analyzer()
        .analyze_batch_with(&texts[1..2], &contexts[1])
        .unwrap();
    assert_eq!(analyses[1].entities, alone[0].entities);
    let (a, b) = (
        analyses[1].intent.as_ref().unwrap(),
        alone[0].intent.as_ref().unwrap(),
    );
    assert_eq!(a.label, b.label);
    assert!((a.confidence - b.confidence).abs() < 1e-4);
    assert!(matches!(
        analyzer().analyze_batch_each(&texts, &contexts[..2]),
        Err(tolka::Error::Config(_))
    ));
}

#[test]
fn redact_analysis_leaves_no_personal_data() {
    let text = "charge card 4111 1111 1111 1111 and mail anna.berg@example.se about order #A-10293";
    let mut analysis = analyzer().analyze(text).unwrap();
    let redaction = analyzer().redact_analysis(text, &mut analysis);
    let json =
        serde_json::to_string(&analysis).unwrap() + &serde_json::to_string(&redaction).unwrap();
    for secret in ["4111 1111 1111 1111", "anna.berg", "example.se"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(redaction.text.contains("[CARD]") && redaction.text.contains("[EMAIL]"));
    // The order id is not personal data and stays.
    assert!(json.contains("A-10293"));
}

#[test]
fn texts_over_max_chars_are_refused_before_any_work() {
    let limited = Analyzer::builder(model_dir())
        .max_chars(20)
        .build()
        .unwrap();
    assert_eq!(limited.max_chars(), Some(20));
    // 20 characters in 40 bytes is within the limit; 21 is not.
    assert!(limited.analyze(&"å".repeat(20)).is_ok());
    let err = limited
        .analyze_batch(&["fine", &"å".repeat(21)])
        .unwrap_err();
    assert!(
        matches!(
            err,
            tolka::Error::TextTooLong {
                index: 1,
                chars: 21,
                max: 20
            }
        ),
        "{err}"
    );
    assert!(matches!(
        Analyzer::builder(model_dir()).max_chars(0).build(),
        Err(tolka::Error::Config(_))
    ));
}

#[test]
fn pruning_a_wordpiece_package_is_refused_before_writing() {
    let out = tempfile::tempdir().unwrap().path().join("pruned");
    let err = tolka::model::vocab::prune(
        &model_dir(),
        &out,
        &["where is my order"],
        &tolka::model::vocab::PruneOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, tolka::Error::Vocabulary { reason, .. } if reason.contains("Unigram")),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_redacting_analyzer_returns_no_personal_data() {
    let text = "refund to anna.berg@example.se, card 4111 1111 1111 1111, order #A-10293";
    let plain = analyzer().analyze(text).unwrap();
    // Without redaction the e-mail is an entity (so the check below can fail).
    assert!(serde_json::to_string(&plain).unwrap().contains("anna.berg"));
    let redacting = Analyzer::builder(model_dir()).redact(true).build().unwrap();
    let redacted = redacting.analyze(text).unwrap();
    let json = serde_json::to_string(&redacted).unwrap();
    for secret in ["anna.berg", "example.se", "4111 1111"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(json.contains("A-10293"), "{json}");
    // The model read the original text: the intent is the same.
    assert_eq!(redacted.intent.unwrap().label, plain.intent.unwrap().label);
}

/// On the default model, a product the model finds takes the colour and size in or next to
/// it (issue 16 item 3); the size next to it stays an entity of its own.
#[test]
fn products_carry_the_colour_and_size_next_to_them() {
    for text in [
        "do you have the black running shoes in size 42?",
        "do you have running shoes in black, size 42?",
    ] {
        let entities = analyzer().analyze(text).unwrap().entities.unwrap();
        let product = entities
            .iter()
            .find(|e| e.label == "product")
            .unwrap_or_else(|| panic!("{text}: no product in {entities:?}"));
        assert!(
            product.text.contains("running shoes"),
            "{text}: {product:?}"
        );
        assert_eq!(
            serde_json::to_value(product.value.as_ref().unwrap()).unwrap(),
            serde_json::json!({"kind": "product", "color": "black", "size": "42", "size_system": "number"}),
            "{text}"
        );
        assert!(
            entities
                .iter()
                .any(|e| e.label == "size" && e.text == "size 42"),
            "{text}: {entities:?}"
        );
    }
}

#[test]
fn a_cancelled_batch_stops_and_the_analyzer_works_afterwards() {
    use std::sync::atomic::AtomicBool;

    let a = analyzer();
    let context = tolka::rules::Context::new(chrono::Local::now().fixed_offset());
    let texts = ["where is my order 113542617735902?"; 8];
    let expected = a.analyze_batch_with(&texts, &context).unwrap();
    let cancelled = a.analyze_batch_cancellable(&texts, &context, &AtomicBool::new(true));
    assert!(matches!(cancelled, Err(Error::Cancelled)), "{cancelled:?}");
    let unset = AtomicBool::new(false);
    assert_eq!(
        a.analyze_batch_cancellable(&texts, &context, &unset)
            .unwrap(),
        expected
    );
    assert_eq!(a.analyze_batch_with(&texts, &context).unwrap(), expected);
}
