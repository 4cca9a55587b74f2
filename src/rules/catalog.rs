//! Catalog gazetteer: the shop's products, brands and categories, matched forgivingly.
//!
//! Names and synonyms, and the text, are turned into word tokens that are
//! - compatibility-decomposed (NFKD) with combining marks removed and lower-cased
//!   (`Å` → `a`, `é` → `e`, `ﬁ` → `fi`);
//! - split on anything that is not a letter or digit, so hyphens and spaces are equivalent
//!   (`Air-Max` = `air max`); apostrophes are dropped (`Levi's` = `levis`);
//! - lightly stemmed so that simple plurals meet their singulars (English `-s`, `-es`,
//!   `-ies`; Swedish `-ar`, `-er`, `-or`, `-na` endings and a final vowel: `jacka` /
//!   `jackor` / `jackorna`).
//!
//! Every distinct token stem gets an id, and the names and synonyms, as sequences of token
//! ids, form a trie. Matching walks the trie from each token of the text and keeps the
//! longest catalog name (leftmost-longest, non-overlapping, on word boundaries by
//! construction). The trie is built from the sorted sequences in one pass (each sequence
//! only adds the nodes after its common prefix with the previous one), and stores the
//! children of every node as one sorted run of (token id, child) in flat arrays, found by
//! binary search: no hashing per edge and one allocation per array. An Aho-Corasick
//! automaton over the same sequences took over a second to build for 100k entries, and
//! texts are short enough that failure links buy nothing. A text
//! token of at least five characters that is not a catalog token is corrected to a catalog
//! token at edit distance 1 (insertion, deletion, substitution or transposition of adjacent
//! characters) through an index of single-deletion variants (symmetric delete); such matches
//! have a lower confidence.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use serde::Deserialize;
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

use crate::error::{Error, Result};

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CatalogEntry {
    /// The shop's id, returned in the match value.
    pub id: String,
    /// The display name ("Nike Air Max 90").
    pub name: String,
    /// What it is: `product`, `brand`, `category`… (the match label). Default `product`.
    #[serde(rename = "type", default = "default_type")]
    pub entry_type: String,
    /// Other names that refer to the entry.
    #[serde(default)]
    pub synonyms: Vec<String>,
}

fn default_type() -> String {
    "product".to_owned()
}

/// Fast hasher for the vocabulary (keys come from the shop's own catalog, so
/// hash flooding is not a concern).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    /// The murmur3 64-bit finaliser: every output bit depends on every input bit, which the
    /// hash table needs (it takes the bucket from the low bits and a tag from the top 7).
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
}

/// A compiled catalog. Build with [`Catalog::load`] or [`Catalog::from_entries`].
pub struct Catalog {
    entries: Vec<CatalogEntry>,
    /// Token stem → id (ids start at 1; 0 is "not a catalog token").
    vocab: HashMap<Box<str>, u32, BuildHasherDefault<IdHasher>>,
    /// Stem of each id (index id - 1).
    stems: Vec<Box<str>>,
    /// (hash of a single-deletion variant, token id), sorted.
    deletions: Vec<(u64, u32)>,
    /// Children of node `n` (the root is node 0): `child_token[first_child[n]..first_child[n +
    /// 1]]`, sorted, and the matching `child_node`.
    first_child: Vec<u32>,
    child_token: Vec<u32>,
    child_node: Vec<u32>,
    /// Entry index of the name ending at each node (`u32::MAX`: none).
    terminal: Vec<u32>,
}

/// A catalog hit: byte span, entry, and whether a typo was corrected inside it.
pub(crate) struct CatalogHit<'c> {
    pub start: usize,
    pub end: usize,
    pub entry: &'c CatalogEntry,
    pub fuzzy: bool,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("entries", &self.entries.len())
            .field("tokens", &self.stems.len())
            .finish()
    }
}

impl Catalog {
    /// Loads a catalog file: CSV when the extension is `.csv` (header with `id`, `name` and
    /// optionally `type` and `synonyms`, synonyms separated by `|`), JSON Lines otherwise
    /// (`{"id":…,"name":…,"type":…,"synonyms":[…]}` per line; blank lines are skipped).
    pub fn load(path: &Path) -> Result<Self> {
        crate::error::regular_file(path, crate::error::limits::CATALOG)?;
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let entries = if is_csv {
            parse_csv(path, &text)?
        } else {
            parse_jsonl(path, &text)?
        };
        Self::from_entries(entries)
    }

    /// Builds the matcher over entries.
    pub fn from_entries(entries: Vec<CatalogEntry>) -> Result<Self> {
        let mut vocab: HashMap<Box<str>, u32, BuildHasherDefault<IdHasher>> = HashMap::default();
        vocab.reserve(entries.len());
        let mut stems: Vec<Box<str>> = Vec::with_capacity(entries.len());
        // Every key (name or synonym) as a run of token ids in `ids`: (start, end, entry).
        let mut ids: Vec<u32> = Vec::with_capacity(entries.len() * 6);
        let mut keys: Vec<(u32, u32, u32)> = Vec::with_capacity(entries.len() * 2);
        let (mut norm, mut stemmed) = (String::new(), String::new());
        for (index, entry) in entries.iter().enumerate() {
            for key in std::iter::once(&entry.name).chain(&entry.synonyms) {
                let start = ids.len() as u32;
                for_each_token(key, &mut norm, |_, _, token| {
                    stemmed.clear();
                    stemmed.push_str(token);
                    stem_in_place(&mut stemmed);
                    let id = match vocab.get(stemmed.as_str()) {
                        Some(id) => *id,
                        None => {
                            let boxed: Box<str> = stemmed.as_str().into();
                            stems.push(boxed.clone());
                            let id = stems.len() as u32;
                            vocab.insert(boxed, id);
                            id
                        }
                    };
                    ids.push(id);
                });
                if ids.len() as u32 > start {
                    keys.push((start, ids.len() as u32, index as u32));
                }
            }
        }
        // Stable: of equal keys, the first entry comes first and keeps the name.
        let seq = |k: &(u32, u32, u32)| &ids[k.0 as usize..k.1 as usize];
        keys.sort_by(|a, b| seq(a).cmp(seq(b)));
        let mut terminal = vec![u32::MAX];
        // (parent, token, child), children of one parent in increasing token order.
        let mut edges: Vec<(u32, u32, u32)> = Vec::with_capacity(ids.len());
        let mut path: Vec<u32> = vec![0];
        let mut prev: &[u32] = &[];
        for k in &keys {
            let cur = seq(k);
            let common = prev.iter().zip(cur).take_while(|(a, b)| a == b).count();
            path.truncate(common + 1);
            for &token in &cur[common..] {
                let child = terminal.len() as u32;
                terminal.push(u32::MAX);
                edges.push((*path.last().expect("root"), token, child));
                path.push(child);
            }
            let node = *path.last().expect("root") as usize;
            if terminal[node] == u32::MAX {
                terminal[node] = k.2;
            }
            prev = cur;
        }
        // Group the edges by parent (a stable counting sort keeps the token order).
        let mut first_child = vec![0u32; terminal.len() + 1];
        for e in &edges {
            first_child[e.0 as usize + 1] += 1;
        }
        for i in 1..first_child.len() {
            first_child[i] += first_child[i - 1];
        }
        let mut fill = first_child.clone();
        let mut child_token = vec![0u32; edges.len()];
        let mut child_node = vec![0u32; edges.len()];
        for (parent, token, child) in edges {
            let i = fill[parent as usize] as usize;
            child_token[i] = token;
            child_node[i] = child;
            fill[parent as usize] += 1;
        }
        let mut deletions = Vec::new();
        for (i, s) in stems.iter().enumerate() {
            if fuzzy_candidate(s) {
                let b = s.as_bytes();
                for skip in 0..b.len() {
                    deletions.push((hash_without(b, Some(skip)), i as u32 + 1));
                }
            }
        }
        deletions.sort_unstable();
        deletions.dedup();
        Ok(Catalog {
            entries,
            vocab,
            stems,
            deletions,
            first_child,
            child_token,
            child_node,
            terminal,
        })
    }

    /// The child of `node` along `token`.
    fn child(&self, node: u32, token: u32) -> Option<u32> {
        let from = self.first_child[node as usize] as usize;
        let to = self.first_child[node as usize + 1] as usize;
        let i = self.child_token[from..to].binary_search(&token).ok()?;
        Some(self.child_node[from + i])
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the catalog has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Catalog names in `text`, leftmost-longest, non-overlapping.
    pub(crate) fn find<'c>(&'c self, text: &str) -> Vec<CatalogHit<'c>> {
        let mut tokens = Vec::new();
        normalized_tokens(text, &mut tokens);
        let mut ids = Vec::with_capacity(tokens.len());
        let mut fuzzy = Vec::with_capacity(tokens.len());
        let mut any = false;
        for t in &tokens {
            let stem = stem(&t.norm);
            let (id, corrected) = match self.vocab.get(stem.as_str()) {
                Some(id) => (*id, false),
                None => match self.correct(&stem) {
                    Some(id) => (id, true),
                    None => (0, false),
                },
            };
            any |= id != 0;
            ids.push(id);
            fuzzy.push(corrected);
        }
        let mut hits = Vec::new();
        if !any {
            return hits;
        }
        let mut a = 0;
        while a < ids.len() {
            // Longest name starting at token `a`.
            let mut node = 0u32;
            let mut best = None;
            for (b, id) in ids.iter().enumerate().skip(a) {
                match self.child(node, *id) {
                    Some(child) => node = child,
                    None => break,
                }
                let entry = self.terminal[node as usize];
                if entry != u32::MAX {
                    best = Some((b + 1, entry));
                }
            }
            match best {
                Some((b, entry)) => {
                    hits.push(CatalogHit {
                        start: tokens[a].start,
                        end: tokens[b - 1].end,
                        entry: &self.entries[entry as usize],
                        fuzzy: fuzzy[a..b].iter().any(|f| *f),
                    });
                    a = b;
                }
                None => a += 1,
            }
        }
        hits
    }

    /// A catalog token at edit distance 1 from `word`, if any (smallest id wins).
    fn correct(&self, word: &str) -> Option<u32> {
        if !fuzzy_candidate(word) {
            return None;
        }
        let b = word.as_bytes();
        let mut best: Option<u32> = None;
        let mut consider = |id: u32| {
            if best.is_none_or(|cur| id < cur) {
                best = Some(id);
            }
        };
        // The text has an extra character.
        let mut buf = String::with_capacity(b.len());
        for skip in 0..b.len() {
            buf.clear();
            buf.push_str(&word[..skip]);
            buf.push_str(&word[skip + 1..]);
            if let Some(id) = self.vocab.get(buf.as_str()) {
                consider(*id);
            }
        }
        // The text misses a character, or has one substituted or transposed.
        let hashes = std::iter::once(hash_without(b, None))
            .chain((0..b.len()).map(|skip| hash_without(b, Some(skip))));
        for h in hashes {
            let from = self.deletions.partition_point(|(x, _)| *x < h);
            for (_, id) in self.deletions[from..].iter().take_while(|(x, _)| *x == h) {
                if within_one_edit(word.as_bytes(), self.stems[*id as usize - 1].as_bytes()) {
                    consider(*id);
                }
            }
        }
        best
    }
}

fn parse_jsonl(path: &Path, text: &str) -> Result<Vec<CatalogEntry>> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: CatalogEntry = serde_json::from_str(line).map_err(|e| Error::Data {
            path: path.to_owned(),
            line: i + 1,
            reason: e.to_string(),
        })?;
        entries.push(check(path, i + 1, entry)?);
    }
    Ok(entries)
}

fn parse_csv(path: &Path, text: &str) -> Result<Vec<CatalogEntry>> {
    let data = |line: usize, reason: String| Error::Data {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| data(1, e.to_string()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(id_col), Some(name_col)) = (column("id"), column("name")) else {
        return Err(data(1, "header needs `id` and `name` columns".to_owned()));
    };
    let (type_col, syn_col) = (column("type"), column("synonyms"));
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            data(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("").trim();
        let entry_type = field(type_col);
        let entry = CatalogEntry {
            id: field(Some(id_col)).to_owned(),
            name: field(Some(name_col)).to_owned(),
            entry_type: if entry_type.is_empty() {
                default_type()
            } else {
                entry_type.to_owned()
            },
            synonyms: field(syn_col)
                .split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        entries.push(check(path, line, entry)?);
    }
    Ok(entries)
}

fn check(path: &Path, line: usize, entry: CatalogEntry) -> Result<CatalogEntry> {
    if entry.id.trim().is_empty() || entry.name.trim().is_empty() {
        return Err(Error::Data {
            path: path.to_owned(),
            line,
            reason: "empty `id` or `name`".to_owned(),
        });
    }
    Ok(entry)
}

/// A normalised word token with its byte span in the original text.
struct NormToken {
    start: usize,
    end: usize,
    norm: String,
}

/// NFKD, combining marks removed, lower-cased, split on non-alphanumerics.
fn normalized_tokens(text: &str, out: &mut Vec<NormToken>) {
    let mut buf = String::new();
    for_each_token(text, &mut buf, |start, end, norm| {
        out.push(NormToken {
            start,
            end,
            norm: norm.to_owned(),
        })
    });
}

/// Calls `emit(start, end, normalised token)` for every token of [`normalized_tokens`],
/// building each in `buf` (no allocation per token).
fn for_each_token(text: &str, buf: &mut String, mut emit: impl FnMut(usize, usize, &str)) {
    // Span of the token being built in `buf`.
    let mut current: Option<(usize, usize)> = None;
    buf.clear();
    let mut flush = |current: &mut Option<(usize, usize)>, buf: &mut String| {
        if let Some((s, e)) = current.take() {
            emit(s, e, buf);
            buf.clear();
        }
    };
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                current.get_or_insert((i, end)).1 = end;
                buf.push(c.to_ascii_lowercase());
            } else if c != '\'' {
                flush(&mut current, buf);
            }
            continue;
        }
        if c == '’' {
            continue;
        }
        let mut word_char = false;
        let mut breaks = false;
        decompose_compatible(c, |d| {
            if is_combining_mark(d) {
                return;
            }
            if d.is_alphanumeric() {
                word_char = true;
                current.get_or_insert((i, end)).1 = end;
                buf.extend(d.to_lowercase());
            } else {
                breaks = true;
            }
        });
        if breaks && !word_char {
            flush(&mut current, buf);
        } else if !word_char {
            // Only combining marks: part of the current word, if any.
            if let Some(t) = current.as_mut() {
                t.1 = end;
            }
        }
    }
    flush(&mut current, buf);
}

/// Light stemming shared by catalog keys and text, so singular and plural meet.
fn stem(token: &str) -> String {
    let mut s = token.to_owned();
    stem_in_place(&mut s);
    s
}

/// [`stem`] without allocating.
fn stem_in_place(s: &mut String) {
    if !s.is_ascii() || s.len() < 3 || s.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    // 1. Plural endings.
    if s.len() > 4 && s.ends_with("ies") {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if let Some(suffix) = ["arna", "erna", "orna"]
        .iter()
        .find(|x| s.ends_with(*x) && s.len() >= 6)
    {
        s.truncate(s.len() - suffix.len());
    } else if s.len() > 4
        && s.ends_with("es")
        && ["s", "x", "z", "ch", "sh"]
            .iter()
            .any(|x| s[..s.len() - 2].ends_with(x))
    {
        s.truncate(s.len() - 2);
    } else if s.len() > 3 && s.ends_with('s') && !s.ends_with("ss") {
        s.truncate(s.len() - 1);
    }
    // 2. Swedish plural / agent endings.
    if s.len() >= 4 && ["ar", "er", "or"].iter().any(|x| s.ends_with(x)) {
        s.truncate(s.len() - 2);
    }
    // 3. A final vowel.
    if s.len() >= 3 && s.ends_with(['a', 'e', 'o']) {
        s.truncate(s.len() - 1);
    }
}

/// Tokens that take part in typo correction: ASCII letters only, at least five.
fn fuzzy_candidate(word: &str) -> bool {
    word.len() >= 5 && word.bytes().all(|b| b.is_ascii_lowercase())
}

/// FNV-1a of `bytes`, without the byte at `skip`.
fn hash_without(bytes: &[u8], skip: Option<usize>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, b) in bytes.iter().enumerate() {
        if Some(i) != skip {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Damerau edit distance ≤ 1 (exactly one edit; equal strings are excluded).
fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let (la, lb) = (a.len(), b.len());
    if la == lb {
        let diffs: Vec<usize> = (0..la).filter(|&i| a[i] != b[i]).collect();
        return match diffs.as_slice() {
            [_] => true,
            [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
            _ => false,
        };
    }
    let (short, long) = if la < lb { (a, b) } else { (b, a) };
    if long.len() != short.len() + 1 {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    short[prefix..] == long[prefix + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_meet() {
        for (a, b) in [
            ("shoe", "shoes"),
            ("box", "boxes"),
            ("battery", "batteries"),
            ("jacka", "jackor"),
            ("jacka", "jackorna"),
            ("klanning", "klanningar"),
            ("sko", "skor"),
            ("sneaker", "sneakers"),
            ("dress", "dresses"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
    }

    #[test]
    fn trie_keeps_first_entry_and_longest_name() {
        let entry = |id: &str, name: &str, synonyms: &[&str]| CatalogEntry {
            id: id.to_owned(),
            name: name.to_owned(),
            entry_type: default_type(),
            synonyms: synonyms.iter().map(|s| (*s).to_owned()).collect(),
        };
        let catalog = Catalog::from_entries(vec![
            entry("a", "Air Max", &[]),
            entry("b", "Air Max 90", &["AM90"]),
            entry("c", "air-max", &["Zoom"]),
            entry("d", "Max", &[]),
        ])
        .expect("catalog");
        let text = "air max 90, Air Max, am90, zoom and max";
        let hits: Vec<(&str, &str)> = catalog
            .find(text)
            .iter()
            .map(|h| (&text[h.start..h.end], h.entry.id.as_str()))
            .collect();
        assert_eq!(
            hits,
            [
                ("air max 90", "b"),
                ("Air Max", "a"),
                ("am90", "b"),
                ("zoom", "c"),
                ("max", "d")
            ]
        );
        assert!(
            Catalog::from_entries(Vec::new())
                .expect("empty")
                .find(text)
                .is_empty()
        );
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit(b"adidas", b"addidas"));
        assert!(within_one_edit(b"adidas", b"adids"));
        assert!(within_one_edit(b"adidas", b"adidaz"));
        assert!(within_one_edit(b"adidas", b"aiddas"));
        assert!(!within_one_edit(b"adidas", b"adidas"));
        assert!(!within_one_edit(b"adidas", b"odiads"));
    }

    #[test]
    fn normalisation() {
        let mut t = Vec::new();
        normalized_tokens("Tröja Air-Max Levi's Cafe\u{301}!", &mut t);
        let norms: Vec<&str> = t.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(norms, ["troja", "air", "max", "levis", "cafe"]);
        assert_eq!(
            t.last().map(|t| t.end),
            Some("Tröja Air-Max Levi's Cafe\u{301}".len())
        );
    }
}
