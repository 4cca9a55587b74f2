//! Loading a model package whose files are fuzzed. The base is the real
//! `models/commerce-en` package (`tolka.json`, `heads.safetensors`, `adapters.safetensors`)
//! over its real encoder. The first input byte selects what changes:
//! - 0: `tolka.json` is the rest of the input;
//! - 1 / 2: `heads.safetensors` / `adapters.safetensors` with the rest written over it at an
//!   offset (the rest's first 4 bytes, little endian, modulo the file's length);
//! - 3: `heads.safetensors` cut at such an offset, the rest appended.
//!
//! `Analyzer::builder(dir).encoder_dir(…).build()` must return `Ok` or a typed `Err`, never
//! panic, abort or hang; a model that loads analyses a text with `Ok`.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tolka::Analyzer;

const MANIFEST: &str = "tolka.json";
const HEADS: &str = "heads.safetensors";
const ADAPTERS: &str = "adapters.safetensors";

struct Base {
    model: PathBuf,
    encoder: PathBuf,
    heads: Vec<u8>,
    adapters: Vec<u8>,
}

fn base() -> &'static Base {
    static B: OnceLock<Base> = OnceLock::new();
    B.get_or_init(|| {
        let models = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models"));
        let model = models.join("commerce-en");
        Base {
            encoder: models.join("base/all-MiniLM-L6-v2").canonicalize().unwrap(),
            heads: std::fs::read(model.join(HEADS)).unwrap(),
            adapters: std::fs::read(model.join(ADAPTERS)).unwrap(),
            model,
        }
    })
}

/// `base` with `patch` written at `offset` (modulo its length), growing it if needed.
fn overwrite(base: &[u8], offset: usize, patch: &[u8]) -> Vec<u8> {
    let at = offset % base.len();
    let mut out = base.to_vec();
    let end = at + patch.len();
    if end > out.len() {
        out.resize(end, 0);
    }
    out[at..end].copy_from_slice(patch);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let base = base();
    let (offset, patch) = match rest.split_first_chunk::<4>() {
        Some((o, p)) => (u32::from_le_bytes(*o) as usize, p),
        None => (0, rest),
    };
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    let manifest = std::fs::read(base.model.join(MANIFEST)).unwrap();
    match selector % 4 {
        0 => {
            write(MANIFEST, rest);
            write(HEADS, &base.heads);
            write(ADAPTERS, &base.adapters);
        }
        1 => {
            write(MANIFEST, &manifest);
            write(HEADS, &overwrite(&base.heads, offset, patch));
            write(ADAPTERS, &base.adapters);
        }
        2 => {
            write(MANIFEST, &manifest);
            write(HEADS, &base.heads);
            write(ADAPTERS, &overwrite(&base.adapters, offset, patch));
        }
        _ => {
            let mut heads = base.heads[..offset % base.heads.len()].to_vec();
            heads.extend_from_slice(patch);
            write(MANIFEST, &manifest);
            write(HEADS, &heads);
            write(ADAPTERS, &base.adapters);
        }
    }
    let built = Analyzer::builder(dir.path())
        .encoder_dir(&base.encoder)
        .threads(1)
        .build();
    if let Ok(analyzer) = built {
        analyzer
            .analyze("refund 160 dollars for order #A-10293, anna@example.se")
            .expect("a model that loads analyses a text");
    }
});
