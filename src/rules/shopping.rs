//! Shopping attributes: garment and shoe sizes, colours, payment methods (English and
//! Swedish).

use std::sync::LazyLock;

use regex::Regex;

use super::text::{Token, glued};
use super::{Cand, Extractor, Value};

/// Children's sizes in cm (Swedish `cl`, "centimeter längd").
const CHILDREN_CM: &[u32] = &[
    56, 62, 68, 74, 80, 86, 92, 98, 104, 110, 116, 122, 128, 134, 140, 146, 152, 158, 164, 170,
];

/// Size patterns; every group name says which system the size is in.
static SIZE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)\b(?:",
        // "EU 42", "US 8.5", "UK 7", "size EU 42", "storlek 38", "strl 140", "size 10"
        r"(?:(?:size|storlek|strl|stl)\.?\s*)?(?P<sys>EU|US|UK)\s*(?P<shoe>[1-5]?[0-9](?:[.,]5)?)",
        // "size 32/34", "storlek 32/34": jeans' waist and length
        r"|(?:size|storlek|strl|stl)\.?\s*:?\s*(?P<w2>[2-5][0-9])\s*/\s*(?P<l2>[2-3][0-9])",
        r"|(?:size|storlek|strl|stl)\.?\s*:?\s*(?P<num>[1-9][0-9]{0,2}(?:[.,]5)?)",
        // "W32 L34", "W32/L34"
        r"|W\s?(?P<w>[2-5][0-9])\s*[/ ]\s*L\s?(?P<l>[2-3][0-9])",
        // "140 cl"
        r"|(?P<cl>[5-9][0-9]|1[0-7][0-9])\s?cl",
        // "one size", "onesize"
        r"|(?P<one>one[ -]?size)",
        // "size M", "storlek S", "i storlek L"
        r"|(?:size|storlek|strl|stl)\.?\s*:?\s*(?P<cued>XXXS|XXS|XS|S|M|L|XL|XXL|XXXL|[2-5]XL)",
        r"|(?:size|storlek|strl|stl)\.?\s*:?\s*(?P<cuedword>small|medium|large|x-?large|extra[ -]large|x-?small|extra[ -]small)",
        // "in M", "i S": a capital S, M or L after "in" / "i" (the size is the letter alone)
        r"|(?:in|i)\s+(?-i:(?P<after_in>S|M|L))",
        // "XL", "XXL", "3XL", "XS" on their own
        r"|(?-i:(?P<letter>XXXS|XXS|XS|XL|XXL|XXXL|[2-5]XL))",
        r"|(?P<word>medium|x-?large|extra[ -]large|x-?small|extra[ -]small)",
        r")\b"
    ))
    .expect("size regex")
});

/// Sizes: shoe sizes with a system or a cue ("size 42", "EU 42", "storlek 38"), letter sizes
/// (XS–XXXL, "medium", "size M", a capital "M" after "in" / "i"), W/L ("W32 L34", "size
/// 32/34"), children's sizes ("140 cl"), "one size".
pub(crate) fn sizes(text: &str, out: &mut Vec<Cand>) {
    for c in SIZE.captures_iter(text) {
        let Some(all) = c.get(0) else { continue };
        if glued(text, all.start(), all.end()) {
            continue;
        }
        let (value, system) = if let (Some(sys), Some(n)) = (c.name("sys"), c.name("shoe")) {
            (n.as_str().replace(',', "."), sys.as_str().to_uppercase())
        } else if let Some(n) = c.name("num") {
            (n.as_str().replace(',', "."), "number".to_owned())
        } else if let (Some(w), Some(l)) = (
            c.name("w").or_else(|| c.name("w2")),
            c.name("l").or_else(|| c.name("l2")),
        ) {
            (
                format!("W{} L{}", w.as_str(), l.as_str()),
                "waist_length".to_owned(),
            )
        } else if let Some(n) = c.name("cl") {
            let Ok(cm) = n.as_str().parse::<u32>() else {
                continue;
            };
            if !CHILDREN_CM.contains(&cm) {
                continue;
            }
            (cm.to_string(), "children_cm".to_owned())
        } else if c.name("one").is_some() {
            ("one size".to_owned(), "one_size".to_owned())
        } else if let Some(l) = c
            .name("after_in")
            .or_else(|| c.name("cued"))
            .or_else(|| c.name("letter"))
            .or_else(|| c.name("cuedword"))
            .or_else(|| c.name("word"))
        {
            (letter_size(l.as_str()), "letter".to_owned())
        } else {
            continue;
        };
        let span = c.name("after_in").unwrap_or(all);
        out.push(Cand::new(
            span.start(),
            span.end(),
            Extractor::Size,
            Value::Size { value, system },
            0.9,
        ));
    }
}

/// The canonical letter size of a letter or word size ("x-large" → `XL`, "3XL" → `XXXL`).
fn letter_size(s: &str) -> String {
    let lower = s.to_lowercase().replace([' ', '-'], "");
    match lower.as_str() {
        "small" => "S".to_owned(),
        "medium" => "M".to_owned(),
        "large" => "L".to_owned(),
        "xlarge" | "extralarge" => "XL".to_owned(),
        "xsmall" | "extrasmall" => "XS".to_owned(),
        "2xl" => "XXL".to_owned(),
        "3xl" => "XXXL".to_owned(),
        _ => lower.to_uppercase(),
    }
}

/// Colour words: (form, canonical English name). Swedish forms cover the common, neuter and
/// plural/definite inflections.
const COLORS: &[(&str, &str)] = &[
    ("black", "black"),
    ("white", "white"),
    ("red", "red"),
    ("blue", "blue"),
    ("green", "green"),
    ("yellow", "yellow"),
    ("orange", "orange"),
    ("purple", "purple"),
    ("pink", "pink"),
    ("brown", "brown"),
    ("grey", "grey"),
    ("gray", "grey"),
    ("beige", "beige"),
    ("navy", "navy"),
    ("turquoise", "turquoise"),
    ("gold", "gold"),
    ("golden", "gold"),
    ("silver", "silver"),
    ("burgundy", "burgundy"),
    ("khaki", "khaki"),
    ("olive", "olive"),
    ("teal", "teal"),
    ("svart", "black"),
    ("svarta", "black"),
    ("vit", "white"),
    ("vitt", "white"),
    ("vita", "white"),
    ("röd", "red"),
    ("rött", "red"),
    ("röda", "red"),
    ("blå", "blue"),
    ("blått", "blue"),
    ("blåa", "blue"),
    ("grön", "green"),
    ("grönt", "green"),
    ("gröna", "green"),
    ("gul", "yellow"),
    ("gult", "yellow"),
    ("gula", "yellow"),
    ("orangea", "orange"),
    ("lila", "purple"),
    ("rosa", "pink"),
    ("brun", "brown"),
    ("brunt", "brown"),
    ("bruna", "brown"),
    ("grå", "grey"),
    ("grått", "grey"),
    ("gråa", "grey"),
    ("marinblå", "navy"),
    ("marinblått", "navy"),
    ("marinblåa", "navy"),
    ("turkos", "turquoise"),
    ("turkosa", "turquoise"),
    ("guld", "gold"),
    ("guldig", "gold"),
    ("vinröd", "burgundy"),
    ("vinrött", "burgundy"),
    ("vinröda", "burgundy"),
    ("kaki", "khaki"),
    ("oliv", "olive"),
    ("olivgrön", "olive"),
    ("olivgröna", "olive"),
];

fn color(word: &str) -> Option<&'static str> {
    COLORS.iter().find(|(w, _)| *w == word).map(|(_, c)| *c)
}

/// Payment methods by name; each group's name is the canonical value. Card networks are left out
/// ("visa" is Swedish for "show"), and so are gift cards (also something one buys).
static PAYMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)\b(?:(?P<klarna>klarna)|(?P<swish>swish)|(?P<paypal>pay\s?pal)",
        r"|(?P<apple_pay>apple\s?pay)|(?P<google_pay>google\s?pay|g\s?pay)",
        r"|(?P<vipps>vipps)|(?P<mobilepay>mobile\s?pay)|(?P<trustly>trustly)",
        r"|(?P<afterpay>afterpay|clearpay)",
        r"|(?P<card>credit\s?card|debit\s?card|kreditkort|betalkort|bankkort|kortbetalning)",
        r"|(?P<bank_transfer>bank\s?transfer|wire\s?transfer|banköverföring|direktbetalning|autogiro)",
        r"|(?P<cash_on_delivery>cash\s+on\s+delivery|postförskott))\b",
    ))
    .expect("payment regex")
});

/// Payment methods: "Klarna", "Swish", "PayPal", "Apple Pay", "kreditkort", "bank transfer",
/// "postförskott".
pub(crate) fn payment_methods(text: &str, out: &mut Vec<Cand>) {
    for c in PAYMENT.captures_iter(text) {
        let Some(all) = c.get(0) else { continue };
        // The one named group that matched is the canonical name.
        let name = PAYMENT
            .capture_names()
            .flatten()
            .find(|name| c.name(name).is_some());
        if let Some(name) = name {
            out.push(Cand::new(
                all.start(),
                all.end(),
                Extractor::PaymentMethod,
                Value::PaymentMethod {
                    value: name.to_owned(),
                },
                0.9,
            ));
        }
    }
}

/// Colours: "black", "light blue", "dark-green", "svarta", "grått", "ljusblå", "mörkgröna".
/// The canonical name is English; "light"/"ljus" and "dark"/"mörk" are kept as a prefix.
pub(crate) fn colors(text: &str, tokens: &[Token], out: &mut Vec<Cand>) {
    let mut skip_until = 0;
    for (i, tok) in tokens.iter().enumerate() {
        if tok.start < skip_until {
            continue;
        }
        // "light blue", "dark-green"
        if matches!(tok.lower.as_str(), "light" | "dark")
            && let Some(next) = tokens.get(i + 1)
            && matches!(text.get(tok.end..next.start), Some(" " | "-"))
            && let Some(c) = color(&next.lower)
        {
            push_color(out, tok.start, next.end, format!("{} {c}", tok.lower));
            skip_until = next.end;
            continue;
        }
        if let Some(c) = color(&tok.lower) {
            push_color(out, tok.start, tok.end, c.to_owned());
            continue;
        }
        // "ljusblå", "mörkgröna"
        for (prefix, name) in [("ljus", "light"), ("mörk", "dark")] {
            if let Some(rest) = tok.lower.strip_prefix(prefix)
                && let Some(c) = color(rest)
            {
                push_color(out, tok.start, tok.end, format!("{name} {c}"));
            }
        }
    }
}

fn push_color(out: &mut Vec<Cand>, start: usize, end: usize, value: String) {
    out.push(Cand::new(
        start,
        end,
        Extractor::Color,
        Value::Color { value },
        0.85,
    ));
}
