//! The layer order of `docs/ARCHITECTURE.md`: no module of `src/` uses one of a higher layer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Module → layer, from the table in ARCHITECTURE.md (`| 3 | `entity`, `intent` | … |`).
fn layers() -> HashMap<String, usize> {
    let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    let mut layers = HashMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(layer), Some(modules)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let Ok(layer) = layer.parse::<usize>() else {
            continue;
        };
        for module in modules.split(',') {
            layers.insert(module.trim().trim_matches('`').to_owned(), layer);
        }
    }
    layers
}

/// The names `lib.rs` re-exports at the crate root, mapped to the module they come from.
fn reexports() -> HashMap<String, String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let mut names = HashMap::new();
    for line in lib.lines() {
        let Some(rest) = line.strip_prefix("pub use ") else {
            continue;
        };
        let (module, items) = rest.split_once("::").unwrap();
        for item in items.trim_matches(|c| "{};".contains(c)).split(',') {
            names.insert(item.trim().to_owned(), module.to_owned());
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a line of code names through `crate::`.
fn used_modules(code: &str, reexports: &HashMap<String, String>) -> Vec<String> {
    let mut used = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let name: String = code[i + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            // `crate::{a, b}`: every name in the braces.
            let group = &code[i + 7..];
            let group = group.trim_start_matches('{');
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let first = item.trim().split("::").next().unwrap_or("").to_owned();
                if !first.is_empty() {
                    used.push(first);
                }
            }
        } else {
            used.push(name);
        }
    }
    used.into_iter()
        .map(|name| reexports.get(&name).cloned().unwrap_or(name))
        .collect()
}

#[test]
fn no_module_uses_a_higher_layer() {
    let layers = layers();
    let reexports = reexports();
    assert!(layers.len() >= 10, "layer table not found: {layers:?}");
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let module = top.trim_end_matches(".rs");
        if module == "lib" || module == "bin" {
            continue;
        }
        let own = *layers
            .get(module)
            .unwrap_or_else(|| panic!("src/{module} is in no layer of docs/ARCHITECTURE.md"));
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for used in used_modules(code, &reexports) {
                if used == module {
                    continue;
                }
                let layer = *layers.get(&used).unwrap_or_else(|| {
                    panic!("{}:{}: `{used}` is in no layer", file.display(), n + 1)
                });
                if layer >= own {
                    violations.push(format!(
                        "{}:{}: {module} (layer {own}) uses {used} (layer {layer})",
                        relative.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_check_sees_a_violation() {
    let reexports = reexports();
    assert_eq!(
        used_modules("use crate::analyzer::Precision;", &reexports),
        ["analyzer"]
    );
    assert_eq!(
        used_modules("crate::Analyzer::from_dir(x)", &reexports),
        ["analyzer"]
    );
    assert_eq!(
        used_modules("use crate::{error::Error, train};", &reexports),
        ["error", "train"]
    );
}
