//! `tolka`: tag transcripts, train and evaluate models.

mod input;
mod output;
mod parse;
mod report;
#[cfg(feature = "server")]
mod serve;
mod tag;
mod time;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use tolka::train::{Event, TrainOptions};
use tolka::{Analyzer, Precision};

use input::{Fields, Format, Item, Reader, Record};

#[derive(Parser)]
#[command(
    name = "tolka",
    version,
    about = "On-device intent, entity and sentiment analysis"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// One command is parsed once per process: the size of its largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Tag transcripts (JSONL, CSV or plain text) with an analysis per record; JSONL out.
    Tag(TagArgs),
    /// Train a model package from labelled JSONL data.
    Train(TrainArgs),
    /// Score a model on labelled JSONL data.
    Eval(EvalArgs),
    /// Measure throughput, latency, peak memory and cold start on a JSONL or text file.
    Bench(BenchArgs),
    /// Extract values (money, numbers, dates, times, sizes, colours, contacts, personal data)
    /// with the rule layer alone, no model; JSONL out with a `matches` array per record.
    Parse(ParseArgs),
    /// Replace cards, personal identity numbers, IBANs, e-mails and phones by placeholders.
    Redact(TagArgs),
    /// Copy a model package with its encoder's vocabulary pruned to the pieces a corpus
    /// uses (plus every one-character piece): less memory, same results on that corpus.
    Prune(PruneArgs),
    /// Serve the analyses over HTTP (JSON API, Rasa and Duckling endpoints, metrics).
    #[cfg(feature = "server")]
    Serve(serve::ServeArgs),
}

#[derive(Args)]
struct ModelArgs {
    /// Model package directory [default: $TOLKA_MODEL, else models/commerce-en]
    #[arg(long)]
    model: Option<PathBuf>,
    /// Device: cpu, cuda or cuda:N
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Texts per encoder batch
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Worker threads (default: all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// Maximum tokens per encoder window (default: the model's)
    #[arg(long)]
    max_length: Option<usize>,
    /// Encoder precision on the CPU: f16 (f16 weights, f32 sums; AVX-512 or AVX2), f32 or int8
    /// (AVX-512 VNNI); f32 where the CPU lacks the instructions
    /// [default: the model's `precision`, else f16]
    #[arg(long)]
    precision: Option<String>,
}

impl ModelArgs {
    fn load(&self) -> Result<Analyzer> {
        self.load_with(|builder| builder)
    }

    /// [`ModelArgs::load`] with more builder options.
    fn load_with(
        &self,
        configure: impl FnOnce(tolka::AnalyzerBuilder) -> tolka::AnalyzerBuilder,
    ) -> Result<Analyzer> {
        let dir = self.model.clone().unwrap_or_else(default_model_dir);
        let mut builder = Analyzer::builder(&dir)
            .device(self.device.parse()?)
            .batch_size(self.batch_size);
        if let Some(threads) = self.threads {
            builder = builder.threads(threads);
        }
        if let Some(max_length) = self.max_length {
            builder = builder.max_length(max_length);
        }
        if let Some(precision) = &self.precision {
            builder = builder.precision(precision.parse()?);
        }
        let analyzer = configure(builder)
            .build()
            .with_context(|| format!("loading the model in {}", dir.display()))?;
        if self.precision.as_deref() == Some("int8") && analyzer.precision() != Precision::Int8 {
            eprintln!("tolka: int8 needs AVX-512 VNNI on the CPU; the encoder runs in f32");
        }
        if self.precision.as_deref() == Some("f16") && analyzer.precision() != Precision::F16 {
            eprintln!(
                "tolka: f16 needs AVX-512 or AVX2 with F16C on the CPU; the encoder runs in f32"
            );
        }
        Ok(analyzer)
    }
}

/// `$TOLKA_MODEL`, else `models/commerce-en` in the working directory, else in the source tree.
fn default_model_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TOLKA_MODEL") {
        return dir.into();
    }
    let local = PathBuf::from("models/commerce-en");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/commerce-en")
    }
}

#[derive(Args)]
struct TagArgs {
    /// Input files (stdin when none)
    files: Vec<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    /// Input format (default: from the file extension; text for stdin)
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// JSONL field holding the text
    #[arg(long, default_value = "text")]
    text_field: String,
    /// CSV column holding the text
    #[arg(long, default_value = "text")]
    column: String,
    /// Write JSONL here instead of stdout
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Stop at the first malformed record
    #[arg(long)]
    strict: bool,
    /// Group records into conversations by this field (in file order): customer turns'
    /// analyses gain `turn`, `escalation` and `slots`
    #[arg(long)]
    conversation_field: Option<String>,
    /// Field naming who wrote a turn (with --conversation-field; default: every turn is the
    /// customer's)
    #[arg(long, requires = "conversation_field")]
    speaker_field: Option<String>,
    /// Values of --speaker-field that mean the customer (comma-separated, any case); every
    /// other value is an agent (bot or person)
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "customer",
        requires = "speaker_field"
    )]
    customer_speaker: Vec<String>,
    /// Field with the time a message was written (RFC 3339, `YYYY-MM-DD HH:MM[:SS]` on the
    /// --timezone clock, or Unix seconds): "tomorrow" resolves against it. A record without
    /// it uses --reference-time
    #[arg(long)]
    time_field: Option<String>,
    /// "Now" for records without a time, RFC 3339 [default: the current time]
    #[arg(long)]
    reference_time: Option<String>,
    /// The users' time zone: an IANA name (`Europe/Stockholm`) or a UTC offset (`+01:00`,
    /// `UTC`) [default: the system's]
    #[arg(long)]
    timezone: Option<String>,
    /// Conversations kept in memory at most; beyond that the one idle longest is dropped
    /// (a later turn of it starts a new conversation)
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    max_conversations: u64,
    /// Longest text analysed, in characters; a longer one becomes an error line for its
    /// record (the encoder needs about 1 s per 10,000 characters on two cores)
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_chars: Option<u64>,
    /// Replace cards, personal identity numbers, IBANs, e-mails and phones by placeholders
    /// in the output text and every entity (the analysis reads the original text)
    #[arg(long)]
    redact: bool,
    /// Also write a self-contained HTML page of the conversations (turns, intents, a
    /// sentiment and escalation line, slots; the first 500 conversations)
    #[arg(long, requires = "conversation_field")]
    report: Option<PathBuf>,
}

#[derive(Args)]
struct ParseArgs {
    /// Input files (stdin when none)
    files: Vec<PathBuf>,
    /// Input format (default: from the file extension; text for stdin)
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// JSONL field holding the text
    #[arg(long, default_value = "text")]
    text_field: String,
    /// CSV column holding the text
    #[arg(long, default_value = "text")]
    column: String,
    /// "Now" for relative dates and times, RFC 3339 (a record's `reference_time` field wins)
    /// [default: the current time]
    #[arg(long)]
    reference_time: Option<String>,
    /// Time zone of the user, an IANA name (`Europe/Stockholm`) or a UTC offset (`+01:00`,
    /// `-0500`, `UTC`), for the current time, or to convert `--reference-time` to
    /// [default: the system's]
    #[arg(long)]
    timezone: Option<String>,
    /// Locale of the texts, `en` or `sv` (a record's `locale` field wins) [default: guessed
    /// per text]
    #[arg(long)]
    locale: Option<String>,
    /// Catalog file (JSONL or CSV) for product, brand and category names
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Write JSONL here instead of stdout
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Stop at the first malformed record
    #[arg(long)]
    strict: bool,
}

#[derive(Args)]
struct TrainArgs {
    /// Training JSONL files (repeatable)
    #[arg(long = "data", required = true)]
    data: Vec<PathBuf>,
    /// Development JSONL files for early stopping and threshold tuning (repeatable)
    #[arg(long)]
    dev: Vec<PathBuf>,
    /// Output model directory
    #[arg(long)]
    out: PathBuf,
    /// Base encoder directory
    #[arg(long, default_value = "models/base/all-MiniLM-L6-v2")]
    encoder: PathBuf,
    /// Model name written into the manifest (default: the output folder name)
    #[arg(long)]
    name: Option<String>,
    #[arg(long, default_value_t = 13)]
    seed: u64,
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    #[arg(long, default_value_t = 5)]
    patience: usize,
    #[arg(long, default_value_t = 3e-3)]
    lr: f64,
    /// Hidden layer sizes of the intent and sentiment heads, e.g. `--hidden 256`
    #[arg(long, value_delimiter = ',')]
    hidden: Vec<usize>,
    /// Hidden layer sizes of the entity head
    #[arg(long, value_delimiter = ',')]
    entity_hidden: Vec<usize>,
    #[arg(long, default_value_t = 128)]
    max_length: usize,
    /// Out-of-scope intent label
    #[arg(long, default_value = "oos")]
    oos_label: String,
    /// Fixed out-of-scope threshold (default: tuned on dev when dev has out-of-scope examples)
    #[arg(long)]
    oos_threshold: Option<f32>,
    /// Binary sentiment: |score| below this is neutral
    #[arg(long, default_value_t = 0.0)]
    neutral_band: f32,
    /// Turn on the rule layer (money, dates, contacts, order ids…) with its defaults
    #[arg(long)]
    rules: bool,
    /// Intent classifier: `linear` (trained head) or `prototype` (class centroids, few-shot)
    #[arg(long, default_value = "linear")]
    classifier: tolka::train::Classifier,
    /// Few-shot: train on a seeded sample of this many records per intent
    #[arg(long)]
    per_label: Option<usize>,
    /// Leave training records with this intent out (repeatable; dev keeps them), e.g.
    /// `--drop-label oos` to detect out-of-scope without out-of-scope training data
    #[arg(long = "drop-label")]
    drop_label: Vec<String>,
    /// Entity decoder: `learned` (BIO transitions fitted on train/dev), `constrained`
    /// (valid-BIO Viterbi) or `argmax` (per word, BIO repaired)
    #[arg(long, default_value = "learned")]
    decoder: String,
    /// Fine-tune the encoder before fitting the heads: `lora` (low-rank adapters on the
    /// attention projections, trained jointly over the tasks, merged at load time) or `none`
    #[arg(long, default_value = "none")]
    finetune: String,
    /// Rank of the LoRA adapters
    #[arg(long, default_value_t = 8)]
    lora_rank: usize,
    /// LoRA scale numerator: updates are scaled by alpha / rank
    #[arg(long, default_value_t = 16.0)]
    lora_alpha: f32,
    /// Also put adapters on the two FFN layers of every transformer layer
    #[arg(long)]
    lora_ffn: bool,
    /// Fine-tuning epochs
    #[arg(long, default_value_t = 1)]
    finetune_epochs: usize,
    /// Peak learning rate of the adapters (linear warm-up, then linear decay)
    #[arg(long, default_value_t = 1e-3)]
    finetune_lr: f64,
    /// Peak learning rate of the temporary task heads trained with the adapters
    #[arg(long, default_value_t = 1e-2)]
    finetune_head_lr: f64,
    /// Fine-tuning batch size
    #[arg(long, default_value_t = 32)]
    finetune_batch_size: usize,
    /// Fine-tune on at most this many training records: those with an intent or entities
    /// first, then a seeded sample of the others (the heads are fitted on all of them)
    #[arg(long)]
    finetune_max_records: Option<usize>,
    /// Device for fine-tuning and encoding the records: cpu, cuda or cuda:N (the heads are
    /// fitted on the CPU)
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Do not mix the built-in out-of-scope pool into data that has intents but no `oos`
    /// examples (the model then has no out-of-scope class)
    #[arg(long)]
    no_oos_pool: bool,
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Labelled JSONL file
    #[arg(long)]
    data: PathBuf,
    /// Print one JSON object
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report (per-label scores, confusions, calibration,
    /// out-of-scope ROC, worst errors) to this file
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Args)]
struct BenchArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Utterances: JSONL (the `text` field) or plain text, one per line
    #[arg(long)]
    data: PathBuf,
    /// Batch sizes to measure (repeatable)
    #[arg(long = "batch-sizes", value_delimiter = ',', default_values_t = [1, 8, 32, 128])]
    batch_sizes: Vec<usize>,
    /// Number of utterances (the first N of the file)
    #[arg(long, default_value_t = 1024)]
    n: usize,
    /// Timed passes per batch size (the median is reported)
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Print one JSON object
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct PruneArgs {
    /// Model package to prune [default: $TOLKA_MODEL, else models/commerce-en]
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output model directory
    #[arg(long)]
    out: PathBuf,
    /// Corpus in the deployment's languages: JSONL (`--text-field`), CSV (`--column`) or
    /// plain text, by extension (repeatable)
    #[arg(long = "data", required = true)]
    data: Vec<PathBuf>,
    /// JSONL field holding the text
    #[arg(long, default_value = "text")]
    text_field: String,
    /// CSV column holding the text
    #[arg(long, default_value = "text")]
    column: String,
    /// Keep only the corpus's pieces: text outside it may become `<unk>`
    #[arg(long)]
    no_single_chars: bool,
    /// Also keep the N most probable pieces of the tokenizer (by SentencePiece score)
    #[arg(long, default_value_t = 0)]
    keep_most_probable: usize,
    /// Print one JSON object
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tag(args) => tag(args, Mode::Tag),
        Command::Train(args) => train(args).map(|()| true),
        Command::Eval(args) => eval(args).map(|()| true),
        Command::Bench(args) => bench(args).map(|()| true),
        Command::Parse(args) => parse_texts(args),
        Command::Redact(args) => tag(args, Mode::Redact),
        Command::Prune(args) => prune(args).map(|()| true),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(args).map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        // `tolka tag … | head` ends quietly when `head` has read enough, like other tools.
        Err(e) if output::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tolka: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn bar(total: Option<u64>, what: &str) -> ProgressBar {
    match total {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} ({{per_sec}}, eta {{eta}})"
            ))
            .expect("valid template")
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_message(what.to_owned()),
    }
}

/// What `tag` does to each text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Add an `analysis` object.
    Tag,
    /// Replace the text by its redaction and add the `redactions` found.
    Redact,
}

/// Tags (or redacts) every input; returns false when some record was malformed.
fn tag(args: TagArgs, mode: Mode) -> Result<bool> {
    if mode == Mode::Redact {
        let tag_only = [
            ("--conversation-field", args.conversation_field.is_some()),
            ("--time-field", args.time_field.is_some()),
            ("--reference-time", args.reference_time.is_some()),
            ("--timezone", args.timezone.is_some()),
            ("--redact", args.redact),
            ("--report", args.report.is_some()),
            ("--max-chars", args.max_chars.is_some()),
        ];
        if let Some((flag, _)) = tag_only.iter().find(|(_, given)| *given) {
            anyhow::bail!("{flag} is a flag of `tolka tag`, not `tolka redact`");
        }
    }
    // Flags are checked before the model loads.
    let zone = args
        .timezone
        .as_deref()
        .map(time::Zone::parse)
        .transpose()?;
    let reference_time = time::default_reference(args.reference_time.as_deref(), zone.as_ref())?;
    let max_chars = args
        .max_chars
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let analyzer = args.model.load_with(|builder| match max_chars {
        Some(n) => builder.max_chars(n),
        None => builder,
    })?;
    let fields = Fields {
        text_field: args.text_field.clone(),
        column: args.column.clone(),
    };
    let chunk = (args.model.batch_size * 8).clamp(64, 4096);
    let sources = Sources {
        files: &args.files,
        format: args.format,
        fields: fields.clone(),
        output: args.output.as_deref(),
        strict: args.strict,
        chunk,
    };
    if mode == Mode::Redact {
        return sources
            .run(|pending, name, out| redact_chunk(&analyzer, &fields, pending, name, out));
    }
    let mut tagger = tag::Tagger::new(
        &analyzer,
        tag::Options {
            fields,
            conversation_field: args.conversation_field,
            speaker_field: args.speaker_field,
            customer_speakers: args.customer_speaker,
            time_field: args.time_field,
            zone,
            reference_time,
            redact: args.redact,
            max_conversations: usize::try_from(args.max_conversations).unwrap_or(usize::MAX),
            strict: args.strict,
        },
    );
    if args.report.is_some() {
        tagger.report = Some(report::Report::default());
    }
    let clean = sources.run(|pending, name, out| tagger.flush(pending, name, out))?;
    if let (Some(path), Some(report)) = (&args.report, &tagger.report) {
        let source = if args.files.is_empty() {
            "<stdin>".to_owned()
        } else {
            args.files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        std::fs::write(path, report.render(&source))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("report written to {}", path.display());
    }
    if tagger.evicted() > 0 {
        eprintln!(
            "tolka: {} conversations were dropped from memory (--max-conversations {}); a later \
             turn of one started it afresh",
            tagger.evicted(),
            args.max_conversations
        );
    }
    if tagger.bad_fields && clean {
        eprintln!("tolka: some records were malformed; see the error lines in the output");
    }
    Ok(clean && !tagger.bad_fields)
}

/// Runs the rule layer on every input; returns false when some record was malformed.
fn parse_texts(args: ParseArgs) -> Result<bool> {
    let defaults = parse::Defaults::new(
        args.reference_time.as_deref(),
        args.timezone.as_deref(),
        args.locale.as_deref(),
    )?;
    let config = tolka::rules::RuleConfig {
        catalog: args.catalog.clone(),
        ..Default::default()
    };
    let sources = Sources {
        files: &args.files,
        format: args.format,
        fields: Fields {
            text_field: args.text_field.clone(),
            column: args.column.clone(),
        },
        output: args.output.as_deref(),
        strict: args.strict,
        chunk: 1024,
    };
    parse::run(&sources, &config, &defaults)
}

/// The inputs of a record-by-record verb (`tag`, `redact`, `parse`) and where its output
/// goes.
struct Sources<'a> {
    /// Input files; stdin when empty.
    files: &'a [PathBuf],
    format: Option<Format>,
    fields: Fields,
    output: Option<&'a Path>,
    strict: bool,
    /// Records handed to `write` at once.
    chunk: usize,
}

impl Sources<'_> {
    /// Reads every source in chunks and lets `write` turn each chunk into output lines (it
    /// drains the chunk). Returns false when some record was malformed; with `strict`, stops
    /// with an error at the first one (stdout has the records before it; an output file is
    /// left as it was). The output file is replaced only when the run succeeds.
    fn run(
        &self,
        mut write: impl FnMut(&mut Vec<Item>, &str, &mut dyn Write) -> Result<()>,
    ) -> Result<bool> {
        // Refuses an output that is an input before anything is read; a file output is
        // replaced only when the run succeeds.
        let mut out = output::Output::open(self.output, self.files)?;
        let mut clean = true;
        // No file, or `-`, is stdin.
        let sources: Vec<Option<&PathBuf>> = if self.files.is_empty() {
            vec![None]
        } else {
            self.files
                .iter()
                .map(|p| (p.as_os_str() != "-").then_some(p))
                .collect()
        };
        for source in sources {
            let (name, reader, format, size): (String, Box<dyn BufRead>, Format, Option<u64>) =
                match source {
                    None => (
                        "<stdin>".into(),
                        Box::new(BufReader::new(std::io::stdin().lock())),
                        self.format.unwrap_or(Format::Text),
                        None,
                    ),
                    Some(path) => {
                        let file = std::fs::File::open(path)
                            .with_context(|| format!("opening {}", path.display()))?;
                        let size = file.metadata().ok().map(|m| m.len());
                        let display = path.display().to_string();
                        let format = self.format.unwrap_or_else(|| Format::from_path(&display));
                        (display, Box::new(BufReader::new(file)), format, size)
                    }
                };
            let progress = bar(size, &name);
            let reader = progress.wrap_read(reader);
            let mut items = Reader::new(
                Box::new(BufReader::new(reader)),
                format,
                self.fields.clone(),
            )
            .with_context(|| name.clone())?;
            let mut pending = Vec::with_capacity(self.chunk);
            loop {
                let item = items.next_item().with_context(|| name.clone())?;
                let done = item.is_none();
                if let Some(item) = item {
                    if let Item::Error { line, message } = &item {
                        clean = false;
                        if self.strict {
                            // Stdout gets the records before it; a file output is left
                            // as it was (the temporary file goes).
                            write(&mut pending, &name, &mut out)?;
                            out.flush()?;
                            anyhow::bail!("{name}:{line}: {message}");
                        }
                    }
                    pending.push(item);
                }
                if pending.len() >= self.chunk || (done && !pending.is_empty()) {
                    write(&mut pending, &name, &mut out)?;
                }
                if done {
                    break;
                }
            }
            progress.finish_and_clear();
        }
        out.commit()?;
        if !clean {
            eprintln!("tolka: some records were malformed; see the error lines in the output");
        }
        Ok(clean)
    }
}

/// The error line of a malformed record.
fn error_line(name: &str, line: usize, message: &str) -> Record {
    let mut record = Record::default();
    for (key, value) in [
        ("error", Value::from(message)),
        ("file", name.into()),
        ("line", line.into()),
    ] {
        record.insert(key, &value).expect("a JSON value serialises");
    }
    record
}

/// Redacts the pending items and writes one JSON line per item.
fn redact_chunk(
    analyzer: &Analyzer,
    fields: &Fields,
    pending: &mut Vec<Item>,
    name: &str,
    out: &mut dyn Write,
) -> Result<()> {
    for item in pending.drain(..) {
        let line = match item {
            Item::Text {
                mut record, text, ..
            } => {
                let redaction = analyzer.redact(&text);
                tag::replace_text(&mut record, fields, &text, &redaction.text)?;
                record.insert("redactions", &redaction.entities)?;
                record
            }
            Item::Error { line, message } => error_line(name, line, &message),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn read_all(paths: &[PathBuf]) -> Result<Vec<tolka::data::Record>> {
    let mut records = Vec::new();
    for path in paths {
        records.extend(tolka::data::read(path)?);
    }
    Ok(records)
}

fn train(args: TrainArgs) -> Result<()> {
    let train = read_all(&args.data)?;
    let dev = read_all(&args.dev)?;
    let name = args.name.clone().unwrap_or_else(|| {
        args.out
            .file_name()
            .map_or("model".into(), |n| n.to_string_lossy().into_owned())
    });
    let options = TrainOptions {
        name,
        encoder_dir: args.encoder.clone(),
        encoder_name: args
            .encoder
            .file_name()
            .map_or("encoder".into(), |n| n.to_string_lossy().into_owned()),
        max_length: args.max_length,
        seed: args.seed,
        max_epochs: args.epochs,
        patience: args.patience,
        learning_rate: args.lr,
        hidden: args.hidden.clone(),
        entity_hidden: args.entity_hidden.clone(),
        oos_label: args.oos_label.clone(),
        oos_threshold: args.oos_threshold,
        neutral_band: args.neutral_band,
        rules: args.rules.then(tolka::rules::RuleConfig::default),
        classifier: args.classifier,
        per_label: args.per_label,
        drop_intents: args.drop_label.clone(),
        decoder: match args.decoder.as_str() {
            "learned" => tolka::entity::Decoder::Learned,
            "constrained" => tolka::entity::Decoder::Constrained,
            "argmax" => tolka::entity::Decoder::Argmax,
            other => anyhow::bail!("unknown decoder `{other}` (learned, constrained, argmax)"),
        },
        oos_pool: !args.no_oos_pool,
        finetune: match args.finetune.as_str() {
            "none" => None,
            "lora" => Some(tolka::train::FinetuneOptions {
                rank: args.lora_rank,
                alpha: args.lora_alpha,
                targets: tolka::model::LoraTarget::ATTENTION
                    .into_iter()
                    .chain(
                        args.lora_ffn
                            .then_some(tolka::model::LoraTarget::FFN)
                            .into_iter()
                            .flatten(),
                    )
                    .collect(),
                epochs: args.finetune_epochs,
                learning_rate: args.finetune_lr,
                head_learning_rate: args.finetune_head_lr,
                batch_size: args.finetune_batch_size,
                max_records: args.finetune_max_records,
            }),
            other => anyhow::bail!("unknown fine-tuning `{other}` (none, lora)"),
        },
        device: args.device.parse()?,
        ..TrainOptions::default()
    };
    eprintln!(
        "training on {} records ({} dev) from {}{}",
        train.len(),
        dev.len(),
        args.encoder.display(),
        match args.per_label {
            Some(n) => format!(", keeping a seeded sample of {n} per intent"),
            None => String::new(),
        }
    );
    let mut progress = ProgressBar::hidden();
    let report = tolka::train::train(&train, &dev, &options, &args.out, &mut |event| {
        match event {
        Event::Stage { name, total } => {
            progress.finish_and_clear();
            progress = bar(Some(total), &name);
        }
        Event::Advance(n) => progress.inc(n),
        Event::Epoch {
            head,
            epoch,
            train_loss,
            dev_loss,
            dev_accuracy,
        } => progress.set_message(format!(
            "{head} epoch {epoch}: train loss {train_loss:.4}, dev loss {dev_loss:.4}, dev acc {dev_accuracy:.4}"
        )),
        Event::FinetuneEpoch {
            epoch,
            train_loss,
            seconds,
        } => progress.suspend(|| {
            eprintln!("fine-tuning epoch {epoch}: train loss {train_loss:.4} ({seconds:.0} s)")
        }),
    }
    })?;
    progress.finish_and_clear();
    for head in &report.heads {
        eprintln!(
            "{:<10} train {:>6}  dev {:>6}  best epoch {:>3}  dev loss {:.4}  dev accuracy {:.4}",
            head.head,
            head.train_examples,
            head.dev_examples,
            head.best_epoch,
            head.dev_loss,
            head.dev_accuracy
        );
    }
    if let Some(t) = report.temperature {
        eprintln!("intent temperature (fitted on dev): {t:.3}");
    }
    if let Some(t) = report.oos_threshold {
        eprintln!("out-of-scope threshold: {t:.2}");
    }
    if !report.oos_auroc.is_empty() {
        let scores: Vec<String> = report
            .oos_auroc
            .iter()
            .map(|(name, auroc)| format!("{name} {auroc:.4}"))
            .collect();
        eprintln!(
            "out-of-scope AUROC on dev by score: {} (the analyzer thresholds msp)",
            scores.join(", ")
        );
    }
    if let Some(d) = &report.decoding {
        eprintln!(
            "entity span F1 on dev (words): argmax {:.4}, constrained {:.4}, learned {:.4} (transition weight {})",
            d.argmax_f1, d.constrained_f1, d.learned_f1, d.transition_weight
        );
    }
    if let Some(f) = &report.finetune {
        eprintln!(
            "fine-tuned LoRA adapters ({} parameters) on {} records: {} epochs, {} steps, {:.0} s, epoch losses {:?}",
            f.adapter_parameters, f.records, f.epochs, f.steps, f.seconds, f.epoch_losses
        );
    }
    eprintln!("model written to {}", args.out.display());
    Ok(())
}

fn eval(args: EvalArgs) -> Result<()> {
    let analyzer = args.model.load()?;
    let records = tolka::data::read(&args.data)?;
    let progress = bar(Some(records.len() as u64), "evaluating");
    let evaluation =
        tolka::eval::evaluate_detailed(&analyzer, &records, 512, &mut |n| progress.inc(n as u64))?;
    progress.finish_and_clear();
    if let Some(path) = &args.report {
        let model_dir = args.model.model.clone().unwrap_or_else(default_model_dir);
        let info = tolka::eval::report::ReportInfo {
            model_path: model_dir.display().to_string(),
            data_path: args.data.display().to_string(),
        };
        let html = tolka::eval::report::render_html(&evaluation, &records, &info);
        std::fs::write(path, html).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("report written to {}", path.display());
    }
    let report = evaluation.scores;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!("{} records from {}", report.count, args.data.display());
    if let Some(i) = &report.intent {
        println!(
            "intent     accuracy {:.4}  macro F1 {:.4}  ECE {:.4}  (n = {})",
            i.accuracy, i.macro_f1, i.ece, i.count
        );
        if let (Some(r), Some(p), Some(a)) = (i.oos_recall, i.oos_precision, i.in_scope_accuracy) {
            println!(
                "           out-of-scope recall {r:.4}  precision {p:.4}  in-scope accuracy {a:.4}"
            );
        }
        if let Some(auroc) = i.oos_auroc {
            println!("           out-of-scope AUROC {auroc:.4}");
        }
    }
    if let Some(e) = &report.entities {
        println!(
            "entities   precision {:.4}  recall {:.4}  F1 {:.4}  (gold {}, predicted {})",
            e.precision, e.recall, e.f1, e.gold, e.predicted
        );
    }
    if let Some(s) = &report.sentiment {
        println!(
            "sentiment  accuracy {:.4}  macro F1 {:.4}  (n = {})",
            s.accuracy, s.macro_f1, s.count
        );
    }
    if let Some(e) = &report.emotions {
        println!(
            "emotions   macro F1 {:.4}  micro F1 {:.4}  (n = {})",
            e.macro_f1, e.micro_f1, e.count
        );
    }
    Ok(())
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), when known.
/// A memory figure of this process from `/proc/self/status` (`VmHWM`: peak resident set,
/// `VmRSS`: resident now), in MB.
fn rss_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn percentile(xs: &[f64], p: f64) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(f64::total_cmp);
    let k = (xs.len() - 1) as f64 * p / 100.0;
    let (lo, hi) = (k.floor() as usize, k.ceil() as usize);
    xs[lo] + (xs[hi] - xs[lo]) * (k - lo as f64)
}

fn bench(mut args: BenchArgs) -> Result<()> {
    use std::time::Instant;
    // Each measured batch goes to the encoder whole: one call of `bs` texts.
    let largest = args.batch_sizes.iter().copied().max().unwrap_or(1);
    args.model.batch_size = args.model.batch_size.max(largest);
    let text = std::fs::read_to_string(&args.data)
        .with_context(|| format!("reading {}", args.data.display()))?;
    let jsonl = Format::from_path(&args.data.display().to_string()) == Format::Jsonl;
    let texts: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            if jsonl {
                let v: Value = serde_json::from_str(l).context("invalid JSONL line")?;
                Ok(v["text"]
                    .as_str()
                    .context("a line has no `text` string")?
                    .to_owned())
            } else {
                Ok(l.to_owned())
            }
        })
        .take(args.n)
        .collect::<Result<_>>()?;
    anyhow::ensure!(
        !texts.is_empty(),
        "no utterances in {}",
        args.data.display()
    );
    anyhow::ensure!(args.repeats > 0, "--repeats must be positive");
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();

    let start = Instant::now();
    let analyzer = args.model.load()?;
    analyzer.analyze("warm up")?;
    let cold_start_ms = start.elapsed().as_secs_f64() * 1e3;
    let loaded_rss_mb = rss_mb("VmRSS");

    let mut results = Vec::new();
    for &bs in &args.batch_sizes {
        anyhow::ensure!(bs > 0, "batch sizes must be positive");
        // Warm-up pass, then the median of timed passes; batches in file order.
        for chunk in texts.chunks(bs).take(4) {
            analyzer.analyze_batch(chunk)?;
        }
        let mut times = Vec::new();
        for _ in 0..args.repeats {
            let t = Instant::now();
            for chunk in texts.chunks(bs) {
                analyzer.analyze_batch(chunk)?;
            }
            times.push(t.elapsed().as_secs_f64());
        }
        let per_s = texts.len() as f64 / median(times);
        if !args.json {
            eprintln!("batch {bs:>4}: {per_s:>8.1} utterances/s");
        }
        results.push(serde_json::json!({"batch_size": bs, "utterances_per_s": (per_s * 10.0).round() / 10.0}));
    }
    let mut latencies = Vec::with_capacity(texts.len());
    for text in &texts {
        let t = Instant::now();
        analyzer.analyze(text)?;
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let report = serde_json::json!({
        "results": results,
        "latency_ms": {"p50": percentile(&latencies, 50.0), "p95": percentile(&latencies, 95.0)},
        "peak_rss_mb": rss_mb("VmHWM"),
        "loaded_rss_mb": loaded_rss_mb,
        "cold_start_ms": cold_start_ms,
        "n": texts.len(),
        "precision": analyzer.precision(),
    });
    if args.json {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

/// Reads the corpus (every malformed record is an error naming its file and line) and
/// writes the pruned package.
fn prune(args: PruneArgs) -> Result<()> {
    let fields = Fields {
        text_field: args.text_field.clone(),
        column: args.column.clone(),
    };
    let mut texts = Vec::new();
    for path in &args.data {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).with_context(|| format!("opening {name}"))?;
        let mut items = Reader::new(
            Box::new(BufReader::new(file)),
            Format::from_path(&name),
            fields.clone(),
        )
        .with_context(|| name.clone())?;
        while let Some(item) = items.next_item().with_context(|| name.clone())? {
            match item {
                Item::Text { text, .. } => texts.push(text),
                Item::Error { line, message } => anyhow::bail!("{name}:{line}: {message}"),
            }
        }
    }
    anyhow::ensure!(!texts.is_empty(), "the corpus has no text");
    let model = args.model.clone().unwrap_or_else(default_model_dir);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let options = tolka::model::vocab::PruneOptions {
        single_chars: !args.no_single_chars,
        most_probable: args.keep_most_probable,
    };
    let report = tolka::model::vocab::prune(&model, &args.out, &texts, &options)
        .with_context(|| format!("pruning {}", model.display()))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}: kept {} of {} pieces ({} used by {} texts, {} tokens)",
            report.out.display(),
            report.kept,
            report.base_size,
            report.corpus_pieces,
            report.corpus_texts,
            report.corpus_tokens
        );
    }
    Ok(())
}
