//! # results: regenerate docs/results.md and its figures (`make results`)
//!
//! Every table and figure of the results page is measured here, in one run, from the committed
//! fixtures (`tests/fixtures/minilm`), the Verilator simulation of the generated Verilog (`sim`),
//! the host driver on the simulated boards (`host`), and the committed synthesis records
//! (`bitstreams/*/*.manifest.json`, `bitstreams/xem7010/estimate.json`,
//! `docs/data/synthesis.json`), the record of `make stress` (`docs/data/stress.jsonl`) and
//! reference figures (`docs/data/gpu_h100.json`).
//!
//! The page's prose is `results/template.md`: `{{name}}` placeholders are filled with what this
//! run measured (a placeholder nothing fills is an error, so the page cannot quote a number
//! this run did not make). Outputs: `docs/results.md`, `docs/figures/*.svg`, and every value
//! in `docs/results.json`.
//!
//! ## Layout
//! - [`Page`]: the values and figures of one run (placeholders, the values of `results.json`,
//!   the figure folder, the MiniLM fixture read once); [`render`] fills the template.
//! - [`sections`]: one module per section of the page, in page order, each a
//!   `run(&mut Page)` that measures, sets its placeholders and writes its figures
//!   ([`sections::SECTIONS`]: their `--only` names); [`sections::format`]: the number and table
//!   formats they share.
//! - [`fig`]: the figures as SVG (line plots, grids of panels, bar charts).

mod fig;
mod sections;

use anyhow::{bail, Context, Result};
use clap::Parser;
use sections::SECTIONS;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "results",
    about = "Regenerate docs/results.md and docs/figures/ from the fixtures and the simulator"
)]
struct Cli {
    /// Where results.md, results.json and figures/ go.
    #[arg(long, default_value = "docs")]
    out: PathBuf,
    /// The page template.
    #[arg(long, default_value = "results/template.md")]
    template: PathBuf,
    /// Seed of every synthetic job.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run only these sections (comma-separated: attention, quantizers, attnv, regression,
    /// speed, hardware, projection, encode, stress), print their values and write their figures;
    /// the page is not rendered.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

/// The values and figures of one run.
pub struct Page {
    /// The repository root (fixtures, manifests, data).
    pub root: PathBuf,
    /// `docs/figures` (or `--out`'s).
    pub fig_dir: PathBuf,
    pub seed: u64,
    /// Placeholder name -> text.
    pub vals: BTreeMap<String, String>,
    /// Machine-readable values (`results.json`).
    pub json: serde_json::Map<String, serde_json::Value>,
    started: Instant,
    fixture: Option<std::rc::Rc<Fixture>>,
}

/// The MiniLM fixture's arrays (`tests/fixtures/minilm`), read once per run.
pub struct Fixture {
    pub q: ndarray::ArrayD<f32>,
    pub k: ndarray::ArrayD<f32>,
    pub v: ndarray::ArrayD<f32>,
    pub probs: ndarray::ArrayD<f32>,
}

impl Page {
    /// Sets placeholder `name`. Panics if it is set twice (two sections claiming one name).
    pub fn set(&mut self, name: &str, text: impl Into<String>) {
        let old = self.vals.insert(name.to_string(), text.into());
        assert!(old.is_none(), "results: placeholder {name} set twice");
    }

    /// Records `value` under `name` in results.json.
    pub fn record(&mut self, name: &str, value: impl serde::Serialize) -> Result<()> {
        self.json
            .insert(name.to_string(), serde_json::to_value(value)?);
        Ok(())
    }

    /// The path of figure `name` (an SVG under `figures/`).
    pub fn figure(&self, name: &str) -> PathBuf {
        self.fig_dir.join(name)
    }

    /// The MiniLM fixture's folder.
    pub fn fixture_dir(&self) -> PathBuf {
        self.root.join("tests/fixtures/minilm")
    }

    /// The fixture, read (and checked) on first use.
    pub fn fixture(&mut self) -> Result<std::rc::Rc<Fixture>> {
        if self.fixture.is_none() {
            let dir = self.fixture_dir();
            let read = |n: &str| model::npy::read_finite_f32(&dir.join(n));
            self.fixture = Some(std::rc::Rc::new(Fixture {
                q: read("q.npy")?,
                k: read("k.npy")?,
                v: read("v.npy")?,
                probs: model::npy::read_probs(&dir.join("probs.npy"))?,
            }));
        }
        Ok(self.fixture.clone().expect("read above"))
    }

    /// Logs progress on standard error.
    pub fn log(&self, what: &str) {
        eprintln!("[{:6.1} s] {what}", self.started.elapsed().as_secs_f64());
    }
}

/// `template` with every `{{name}}` replaced by `vals[name]`. Errors name every placeholder
/// without a value.
pub fn render(template: &str, vals: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::with_capacity(template.len() * 2);
    let mut missing = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            bail!(
                "template: `{{{{` without `}}}}` near {:?}",
                &rest[i..(i + 40).min(rest.len())]
            );
        };
        let name = after[..j].trim();
        match vals.get(name) {
            Some(v) => out.push_str(v),
            None => missing.push(name.to_string()),
        }
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    if !missing.is_empty() {
        bail!("template: no value for {}", missing.join(", "));
    }
    Ok(out)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().unwrap_or(root);
    let template = std::fs::read_to_string(&cli.template)
        .with_context(|| format!("{}: cannot read the template", cli.template.display()))?;
    let fig_dir = cli.out.join("figures");
    std::fs::create_dir_all(&fig_dir)
        .with_context(|| format!("{}: cannot create", fig_dir.display()))?;
    let mut page = Page {
        root,
        fig_dir,
        seed: cli.seed,
        vals: BTreeMap::new(),
        json: serde_json::Map::new(),
        started: Instant::now(),
        fixture: None,
    };
    if let Some(bad) = cli
        .only
        .iter()
        .find(|o| !SECTIONS.iter().any(|s| s.0 == *o))
    {
        bail!(
            "--only {bad}: sections are {}",
            SECTIONS.map(|s| s.0).join(", ")
        );
    }
    for (name, f) in SECTIONS {
        if cli.only.is_empty() || cli.only.iter().any(|o| o == name) {
            f(&mut page).with_context(|| format!("section {name}"))?;
        }
    }
    if !cli.only.is_empty() {
        for (k, v) in &page.vals {
            println!("{k}:\n{v}\n");
        }
        return Ok(());
    }
    let text = render(&template, &page.vals)?;
    let vals = serde_json::to_value(&page.vals)?;
    page.json.insert("placeholders".into(), vals);
    let md = cli.out.join("results.md");
    model::output::write_text_atomic(&md, &text)?;
    let json = cli.out.join("results.json");
    model::output::write_text_atomic(
        &json,
        &(serde_json::to_string_pretty(&serde_json::Value::Object(page.json.clone()))? + "\n"),
    )?;
    page.log(&format!(
        "wrote {}, {} and {}",
        md.display(),
        json.display(),
        page.fig_dir.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed page is the template rendered with the committed values: nobody edited
    /// docs/results.md by hand, and the template and the page moved together.
    #[test]
    fn the_committed_page_is_the_template_rendered() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let read =
            |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
        let json: serde_json::Value = serde_json::from_str(&read("docs/results.json")).unwrap();
        let vals: BTreeMap<String, String> = serde_json::from_value(json["placeholders"].clone())
            .expect("placeholders in results.json");
        let page =
            render(&read("results/template.md"), &vals).expect("every placeholder has a value");
        assert!(
            page == read("docs/results.md"),
            "docs/results.md is not results/template.md rendered with docs/results.json: edit the \
             template and run `make results`"
        );
        for fig in page.split("](figures/").skip(1) {
            let name = &fig[..fig.find(')').expect("a figure link ends")];
            assert!(
                root.join("docs/figures").join(name).exists(),
                "docs/figures/{name} is missing"
            );
        }
    }

    #[test]
    fn render_fills_placeholders_and_names_the_missing() {
        let mut v = BTreeMap::new();
        v.insert("a".to_string(), "1".to_string());
        v.insert("b".to_string(), "two".to_string());
        assert_eq!(render("x {{a}} y {{ b }}.", &v).unwrap(), "x 1 y two.");
        let e = render("{{a}} {{c}} {{d}}", &v).unwrap_err().to_string();
        assert_eq!(e, "template: no value for c, d");
        assert!(render("{{a", &v).is_err());
    }
}
