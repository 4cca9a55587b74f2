//! multilingual-e5-small from its 4-bit E5S1 file (`models/fetch-multilingual.sh`).

use std::path::PathBuf;

use tolka::Analyzer;
use tolka::train::{TrainOptions, train};

use crate::{char_slice, data_dir};

fn encoder_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/base/multilingual-e5-small")
}

#[test]
fn e5s1_encoder_trains_and_reads_swedish() {
    let records =
        tolka::data::read_jsonl(data_dir().join("bitext-customer-support/train.jsonl")).unwrap();
    let options = TrainOptions {
        encoder_dir: encoder_dir(),
        encoder_name: "multilingual-e5-small".into(),
        max_epochs: 10,
        ..TrainOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    train(
        &records[..200],
        &records[200..260],
        &options,
        dir.path(),
        &mut |_| {},
    )
    .unwrap();
    let analyzer = Analyzer::from_dir(dir.path()).unwrap();

    // Cross-lingual paraphrases sit closer than unrelated sentences.
    let v = analyzer
        .embed(&[
            "Var är min beställning?",
            "Where is my order?",
            "Jag gillar katter och hundar.",
        ])
        .unwrap();
    let dot = |a: usize, b: usize| v.row(a).dot(&v.row(b));
    assert_eq!(v.shape(), [3, 384]);
    assert!(
        dot(0, 1) > dot(0, 2) + 0.03,
        "{} vs {}",
        dot(0, 1),
        dot(0, 2)
    );

    // The "query: " prefix is added inside tolka and never leaks into offsets.
    let text = "Hej! Jag vill spåra beställning 113542617735902 från Åre 😀";
    let a = analyzer.analyze(text).unwrap();
    for e in a.entities.unwrap() {
        assert_eq!(char_slice(text, e.start, e.end), e.text);
    }
}

fn commerce_multi() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/commerce-multi")
}

fn texts_of(path: PathBuf) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn pruned_vocabulary_gives_the_same_analyses_on_its_corpus() {
    use tolka::model::vocab::{PruneOptions, VOCABULARY_FILE, Vocabulary, prune};

    let mut corpus = texts_of(data_dir().join("examples/transcript-sv-en.jsonl"));
    corpus.extend(texts_of(
        data_dir().join("bitext-customer-support/dev.jsonl"),
    ));
    let corpus: Vec<&str> = corpus.iter().map(String::as_str).collect();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pruned");
    let report = prune(&commerce_multi(), &out, &corpus, &PruneOptions::default()).unwrap();
    assert_eq!(report.base_size, 250_002);
    assert!(report.corpus_pieces > 500, "{report:?}");
    // Every one-character piece (15k) plus the corpus's: under a tenth of the vocabulary.
    assert!(report.kept < 25_000, "{report:?}");

    let full = Analyzer::from_dir(commerce_multi()).unwrap();
    let pruned = Analyzer::from_dir(&out).unwrap();
    assert_eq!(
        full.analyze_batch(&corpus).unwrap(),
        pruned.analyze_batch(&corpus).unwrap()
    );

    // Outside the corpus the pruned tokenizer segments into smaller known pieces: the
    // analysis still works, on other pieces. (With commerce-multi's LoRA adapters the
    // embedding moves far, cosine 0.18 here: prune with the deployment's own messages; see
    // docs/accuracy.md.)
    let unseen = ["Fakturan för min prenumeration har fortfarande inte kommit fram"];
    let a = full.embed(&unseen).unwrap();
    let b = pruned.embed(&unseen).unwrap();
    let cosine = a.row(0).dot(&b.row(0));
    assert!(cosine < 1.0 - 1e-6, "cosine {cosine}");
    assert!(pruned.analyze(unseen[0]).unwrap().intent.is_some());

    // A vocabulary built for another tokenizer is a typed error naming the tokenizer.
    let path = out.join(VOCABULARY_FILE);
    let mut vocabulary = Vocabulary::read(&path).unwrap();
    vocabulary.base_size += 1;
    vocabulary.write(&path).unwrap();
    let err = Analyzer::from_dir(&out)
        .err()
        .expect("mismatched vocabulary");
    assert!(
        matches!(&err, tolka::Error::Vocabulary { path, .. } if path.ends_with("tokenizer.json")),
        "{err}"
    );
    // The most probable pieces: e5's SentencePiece vocabulary is sorted by score after the
    // specials, which score 0 like the last id (<mask>), so the 5,000 most probable are
    // ids 0..4995 and <mask>.
    let options = PruneOptions {
        most_probable: 5000,
        ..PruneOptions::default()
    };
    let wider = dir.path().join("wider");
    let more = prune(&commerce_multi(), &wider, &corpus, &options).unwrap();
    assert!(more.kept > report.kept, "{more:?} vs {report:?}");
    let ids = Vocabulary::read(&wider.join(VOCABULARY_FILE)).unwrap().ids;
    assert!(
        (0..4995)
            .chain([250_001])
            .all(|id| ids.binary_search(&id).is_ok())
    );

    // A package that is already pruned is not pruned again.
    assert!(
        prune(
            &out,
            &dir.path().join("again"),
            &corpus,
            &PruneOptions::default()
        )
        .is_err()
    );
}

/// The Swedish side of the shipped multilingual model: natural messages (none of them in the
/// training data) get the intents of the shared taxonomy.
#[test]
fn commerce_multi_understands_swedish_shoppers() {
    let analyzer = Analyzer::from_dir(commerce_multi()).unwrap();
    let cases = [
        ("hallå var e mitt paket nånstans", "track_order"),
        (
            "går det att betala med klarna hos er?",
            "check_payment_methods",
        ),
        ("vill skicka tillbaka skorna, de var för små", "return_item"),
        ("tack så hemskt mycket för hjälpen!", "thanks"),
        ("har ni den gröna hoodien i XL?", "product_availability"),
        ("pratar jag med en robot nu?", "bot_challenge"),
        ("vad blir det för väder i helgen", "oos"),
    ];
    let texts: Vec<&str> = cases.iter().map(|(t, _)| *t).collect();
    let analyses = analyzer.analyze_batch(&texts).unwrap();
    for ((text, intent), a) in cases.iter().zip(&analyses) {
        let i = a.intent.as_ref().unwrap();
        assert_eq!(&i.label, intent, "{text}: {i:?}");
    }
    assert_eq!(
        analyzer.manifest().intent.as_ref().unwrap().labels,
        Analyzer::from_dir(crate::model_dir())
            .unwrap()
            .manifest()
            .intent
            .as_ref()
            .unwrap()
            .labels,
        "both default models share the taxonomy"
    );
}
