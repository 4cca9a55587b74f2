//! A generated shop catalog for load-time tests, benches and examples (included with
//! `#[path]` where needed, so all three measure the same catalog).

/// A JSONL catalog of `n` product entries with distinct names and one synonym each.
pub fn catalog_jsonl(n: usize) -> String {
    const COLOURS: [&str; 8] = [
        "red", "blue", "green", "black", "white", "grey", "navy", "beige",
    ];
    const KINDS: [&str; 8] = [
        "shirt", "jacka", "sneaker", "byxor", "dress", "hoodie", "keps", "boots",
    ];
    let mut text = String::with_capacity(n * 90);
    for i in 0..n {
        let name = format!(
            "Brand{} {} {} {}",
            i % 997,
            COLOURS[i % 8],
            KINDS[(i / 8) % 8],
            i
        );
        text.push_str(&format!(
            "{{\"id\":\"sku-{i}\",\"name\":\"{name}\",\"type\":\"product\",\"synonyms\":[\"model{i}\"]}}\n"
        ));
    }
    text
}
