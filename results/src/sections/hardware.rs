//! §4-§6 Synthesis and bitstreams, from the committed records: the bitstreams' manifests
//! (`bitstreams/*/*.manifest.json`), the out-of-context ECP5 runs, the XC7A50T estimates and
//! the iCE40 variants (`docs/data/synthesis.json`), and the XEM7010 estimate
//! (`bitstreams/xem7010/estimate.json`), as tables and two figures (resource use, Fmax).

use super::format::{md_table, pct, thou};
use super::read_json;
use crate::fig::{self, Scale};
use crate::Page;
use anyhow::{Context, Result};
use host::bench::{manifest_clocks, manifest_fmax, ManifestClock};
use serde_json::Value;

/// One resource record: name, (resource, used, available)..., target and Fmax.
struct Usage {
    name: String,
    res: Vec<(&'static str, u64, u64)>,
    target: Option<f64>,
    fmax: Option<f64>,
}

/// The LFE5U-85F's LUT4s, FFs and DP16KD block RAMs, the out-of-context runs' denominators
/// (its MULT18X18D count is hdl's `Resources::dsp_blocks`).
const ECP5_LUT4: u64 = 83_640;
const ECP5_FF: u64 = 83_640;
const ECP5_DP16KD: u64 = 208;

/// §4-§6: the bitstreams' manifests and the out-of-context synthesis records as tables and
/// figures.
pub fn run(page: &mut Page) -> Result<()> {
    page.log("§4-§6 synthesis records and bitstream manifests");
    let mut usages = bitstreams(page)?;
    ulx3s_core(page)?;
    let syn = read_json(&page.root.join("docs/data/synthesis.json"))?;
    usages.extend(out_of_context(page, &syn)?);
    xc7_estimates(page, &syn)?;
    variants(page, &syn)?;
    page.set(
        "xc7_provenance",
        syn["xc7_provenance"].as_str().unwrap_or("").to_string(),
    );
    page.set(
        "synthesis_provenance",
        syn["provenance"].as_str().unwrap_or("").to_string(),
    );
    usages.push(xem7010(page)?);
    figures(page, &usages)
}

/// `clocks`' targets ("45 / 65 MHz") and Fmaxes ("51.2 MHz (UART) / 70.0 MHz (head)").
fn clock_texts(clocks: &[ManifestClock]) -> (String, String) {
    let mhz = |x: f64| {
        format!("{x:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    };
    let targets = clocks
        .iter()
        .map(|c| mhz(c.target_mhz))
        .collect::<Vec<_>>()
        .join(" / ");
    let fmax = if clocks.len() > 1 {
        clocks
            .iter()
            .map(|c| format!("{:.1} MHz ({})", c.fmax_mhz, c.role))
            .collect::<Vec<_>>()
            .join(" / ")
    } else {
        clocks
            .iter()
            .map(|c| format!("{:.1} MHz", c.fmax_mhz))
            .collect()
    };
    (format!("{targets} MHz"), fmax)
}

/// (used, available) of resource `k` in a record's `resources`.
fn used_available(resources: &Value, k: &str) -> (u64, u64) {
    (
        resources[k]["used"].as_u64().unwrap_or(0),
        resources[k]["available"].as_u64().unwrap_or(0),
    )
}

/// The bitstreams of the ULX3S and the Alchitry Cu (every link design and the UART echo): the
/// bitstream table.
fn bitstreams(page: &mut Page) -> Result<Vec<Usage>> {
    let mut usages = Vec::new();
    let mut rows = Vec::new();
    for board in ["ulx3s", "alchitry_cu"] {
        let b = hdl::boards::board(board).context("known board")?;
        for design in b.link_designs().iter().chain(["echo"].iter()) {
            let path = page
                .root
                .join(format!("bitstreams/{board}/{design}.manifest.json"));
            let (row, usage) = bitstream(&b, design, &read_json(&path)?)?;
            rows.push(row);
            usages.push(usage);
        }
    }
    page.set(
        "bitstream_table",
        md_table(
            &[
                "bitstream",
                "design",
                "logic",
                "FF",
                "block RAM",
                "DSP",
                "target",
                "Fmax (nextpnr)",
                "met",
            ],
            &rows,
        ),
    );
    Ok(usages)
}

/// One bitstream's row of the table, from its manifest `m`, and its resource record.
fn bitstream(b: &hdl::boards::Board, design: &str, m: &Value) -> Result<(Vec<String>, Usage)> {
    let board = b.name;
    let r = &m["resources"];
    let g = |k: &str| used_available(r, k);
    let fmax = manifest_fmax(m);
    let target = m["target_mhz"].as_f64();
    let (logic, bram, dsp, res) = if board == "ulx3s" {
        let (l, la) = g("lut4");
        let (br, bra) = g("bram_dp16kd");
        let (d, da) = g("dsp_mult18x18d");
        let (f, fa) = g("ff");
        (
            format!(
                "{} / {} LUT4 ({})",
                thou(l),
                thou(la),
                pct(l as f64 / la as f64)
            ),
            format!("{br} / {bra} DP16KD"),
            format!("{d} / {da} MULT18X18D"),
            vec![
                ("LUT", l, la),
                ("FF", f, fa),
                ("BRAM", br, bra),
                ("DSP", d, da),
            ],
        )
    } else {
        let (l, la) = g("logic_cells");
        let (br, bra) = g("bram_ram40_4k");
        let (f, _) = g("ff");
        (
            format!(
                "{} / {} LC ({})",
                thou(l),
                thou(la),
                pct(l as f64 / la as f64)
            ),
            format!("{br} / {bra} RAM40_4K"),
            "none on the part".into(),
            vec![("LUT", l, la), ("FF", f, la), ("BRAM", br, bra)],
        )
    };
    let what = if design == "echo" {
        format!("{}: UART echo (bring-up)", b.device)
    } else {
        let bd = b.for_design(design).map_err(anyhow::Error::msg)?;
        format!(
            "{}: {}, D = {}",
            b.device,
            if bd.design.front_end {
                "whole head"
            } else {
                "AttnV core (codes in)"
            },
            bd.design.d
        )
    };
    let clocks = manifest_clocks(m);
    let (target_text, fmax_text) = if clocks.is_empty() {
        ("-".into(), "-".into())
    } else {
        let (t, f) = clock_texts(&clocks);
        (t, format!("**{f}**"))
    };
    let row = vec![
        format!("{board}/{design}"),
        what,
        logic,
        thou(g("ff").0),
        bram,
        dsp,
        target_text,
        fmax_text,
        if m["timing_met"].as_bool() == Some(true) {
            "yes".into()
        } else {
            "**no**".into()
        },
    ];
    let usage = Usage {
        name: format!("{board}/{design}"),
        res,
        target,
        fmax,
    };
    Ok((row, usage))
}

/// The ULX3S bitstreams' (`core` and `link`) target clock, Fmax and resources, quoted in the
/// text (`ulx3s_core_*`, `ulx3s_link_*`).
fn ulx3s_core(page: &mut Page) -> Result<()> {
    for design in ["core", "link"] {
        let m = read_json(
            &page
                .root
                .join(format!("bitstreams/ulx3s/{design}.manifest.json")),
        )?;
        let key = |k: &str| format!("ulx3s_{design}_{k}");
        let clocks = manifest_clocks(&m);
        anyhow::ensure!(
            !clocks.is_empty(),
            "ulx3s {design} manifest: no Fmax and target"
        );
        let (target, fmax) = clock_texts(&clocks);
        page.set(&key("fmax"), fmax);
        page.set(&key("target"), target);
        let used = |k: &str| used_available(&m["resources"], k).0;
        page.set(&key("lut"), thou(used("lut4")));
        page.set(&key("mult"), used("dsp_mult18x18d").to_string());
        page.set(&key("bram"), used("bram_dp16kd").to_string());
    }
    Ok(())
}

/// The out-of-context ECP5 runs: their table and resource records.
fn out_of_context(page: &mut Page, syn: &Value) -> Result<Vec<Usage>> {
    let ecp5_mult18 = hdl::boards::board_resources("ulx3s")
        .context("the ULX3S")?
        .dsp_blocks as u64;
    let mut usages = Vec::new();
    let mut ooc_rows = Vec::new();
    for r in syn["ecp5_out_of_context"]
        .as_array()
        .context("synthesis.json: ecp5_out_of_context")?
    {
        let u = |k: &str| r[k].as_u64().unwrap_or(0);
        let name = r["name"].as_str().unwrap_or("?").to_string();
        let fmax = r["fmax_mhz"].as_f64().unwrap_or(0.0);
        let (lut4, lut4_pct) = (thou(u("lut4")), pct(u("lut4") as f64 / ECP5_LUT4 as f64));
        // The largest heads' figures, for the text of §5.
        let key = match name.as_str() {
            "head, octave, D = 64, P = 4, K = 2" => Some("ooc_p4_k2_octave"),
            "head, general, D = 64, P = 4, K = 2" => Some("ooc_p4_k2_log"),
            _ => None,
        };
        if let Some(key) = key {
            page.set(&format!("{key}_fmax"), format!("{fmax:.1} MHz"));
            page.set(&format!("{key}_lut4"), format!("{lut4} LUT4 ({lut4_pct})"));
        }
        ooc_rows.push(vec![
            name.clone(),
            format!("{lut4} ({lut4_pct})"),
            format!(
                "{} ({})",
                thou(u("ff")),
                pct(u("ff") as f64 / ECP5_FF as f64)
            ),
            format!(
                "{} ({})",
                u("mult18"),
                pct(u("mult18") as f64 / ecp5_mult18 as f64)
            ),
            format!(
                "{} ({})",
                u("dp16kd"),
                pct(u("dp16kd") as f64 / ECP5_DP16KD as f64)
            ),
            format!("**{fmax:.1} MHz**"),
            if fmax >= r["target_mhz"].as_f64().unwrap_or(f64::MAX) {
                "met".into()
            } else {
                "not met".into()
            },
        ]);
        usages.push(Usage {
            name: format!(
                "OOC {}",
                name.replace(", D = ", " D")
                    .replace(", P = ", " P")
                    .replace(", K = ", " K")
                    .replace("general", "gen")
                    .replace("octave", "oct")
                    .replace("dense baseline", "dense")
            ),
            res: vec![
                ("LUT", u("lut4"), ECP5_LUT4),
                ("FF", u("ff"), ECP5_FF),
                ("BRAM", u("dp16kd"), ECP5_DP16KD),
                ("DSP", u("mult18"), ecp5_mult18),
            ],
            target: r["target_mhz"].as_f64(),
            fmax: r["fmax_mhz"].as_f64(),
        });
    }
    page.set(
        "ooc_table",
        md_table(
            &[
                "ECP5-85F, out of context, 100 MHz target",
                "LUT4",
                "FF",
                "MULT18X18D",
                "DP16KD",
                "Fmax after routing",
                "100 MHz",
            ],
            &ooc_rows,
        ),
    );
    Ok(usages)
}

/// The XC7A50T estimates (`synth_xilinx`): their table, and whether each fits.
fn xc7_estimates(page: &mut Page, syn: &Value) -> Result<()> {
    let avail = &syn["xc7_available"];
    let mut xrows = Vec::new();
    for r in syn["xc7_estimates"]
        .as_array()
        .context("synthesis.json: xc7_estimates")?
    {
        let u = |k: &str| r[k].as_u64().unwrap_or(0);
        let of = |k: &str| pct(u(k) as f64 / avail[k].as_f64().unwrap_or(f64::MAX));
        let fits = u("lut") <= avail["lut"].as_u64().unwrap_or(0)
            && u("ff") <= avail["ff"].as_u64().unwrap_or(0)
            && u("dsp48e1") <= avail["dsp48e1"].as_u64().unwrap_or(0);
        xrows.push(vec![
            r["name"].as_str().unwrap_or("?").to_string(),
            format!("{} ({})", thou(u("lut")), of("lut")),
            format!("{} ({})", thou(u("ff")), of("ff")),
            if fits {
                format!("{} ({})", u("dsp48e1"), of("dsp48e1"))
            } else {
                format!("**{} ({})**", u("dsp48e1"), of("dsp48e1"))
            },
            r["bram"].as_str().unwrap_or("?").to_string(),
            if fits { "yes".into() } else { "**no**".into() },
        ]);
    }
    page.set(
        "xc7_table",
        md_table(
            &[
                "XC7A50T (synth_xilinx estimate)",
                "LUT",
                "FF",
                "DSP48E1",
                "block RAM",
                "fits",
            ],
            &xrows,
        ),
    );
    Ok(())
}

/// The AttnV variants per board: ECP5 and XC7A50T core rows, the iCE40 link designs (the
/// octave one is the Alchitry Cu's bitstream; the others are synthesis records).
fn variants(page: &mut Page, syn: &Value) -> Result<()> {
    let find = |arr: &str, name: &str| -> Result<Value> {
        syn[arr]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["name"] == name).cloned())
            .with_context(|| format!("synthesis.json: {arr} has no `{name}`"))
    };
    let mut ecp5 = vec![
        "ULX3S, LFE5U-85F".to_string(),
        "the D = 64 core, out of context, 100 MHz target (§4)".to_string(),
    ];
    let mut xc7 = vec![
        "XEM7010, XC7A50T".to_string(),
        "the D = 64 core, `synth_xilinx` estimate (§4; no open place and route)".to_string(),
    ];
    let mut ice = vec![
        "Alchitry Cu, iCE40-HX8K".to_string(),
        "the board's link design (D = 8, N_MAX = 64: UART, framer, buffers, core), 60 MHz"
            .to_string(),
    ];
    let cu = read_json(&page.root.join("bitstreams/alchitry_cu/link.manifest.json"))?;
    for (v, key) in [
        ("general", "general"),
        ("octave", "octave"),
        ("dense", "dense baseline"),
    ] {
        let r = find("ecp5_out_of_context", &format!("core, {key}, D = 64"))?;
        ecp5.push(format!(
            "{} LUT4, {} MULT18, {} DP16KD: **{:.1} MHz**",
            thou(r["lut4"].as_u64().unwrap_or(0)),
            r["mult18"],
            r["dp16kd"],
            r["fmax_mhz"].as_f64().unwrap_or(0.0)
        ));
        let r = find("xc7_estimates", &format!("core, {key}, D = 64"))?;
        xc7.push(format!(
            "{} LUT, {} DSP48E1",
            thou(r["lut"].as_u64().unwrap_or(0)),
            r["dsp48e1"]
        ));
        ice.push(if v == "octave" {
            ice40_bitstream(&cu)?
        } else {
            ice40_synthesis(syn, v)?
        });
    }
    page.set(
        "variants_table",
        md_table(
            &[
                "board, part",
                "what is built",
                "general",
                "octave",
                "dense baseline",
            ],
            &[ecp5, ice, xc7],
        ),
    );
    Ok(())
}

/// The Alchitry Cu's link bitstream (the octave variant) as a cell of the variants table.
fn ice40_bitstream(cu: &Value) -> Result<String> {
    let lc = &cu["resources"]["logic_cells"];
    let (u, a) = (
        lc["used"].as_u64().unwrap_or(0),
        lc["available"].as_u64().unwrap_or(1),
    );
    let fmax = manifest_fmax(cu).context("alchitry_cu manifest Fmax")?;
    Ok(format!(
        "{} LC ({:.0}%), {} RAM: **{fmax:.1} MHz** (the bitstream)",
        thou(u),
        100.0 * u as f64 / a as f64,
        cu["resources"]["bram_ram40_4k"]["used"]
    ))
}

/// The iCE40 link design in variant `v`, synthesized only, as a cell of the variants table.
fn ice40_synthesis(syn: &Value, v: &str) -> Result<String> {
    let r = syn["ice40_variants"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["variant"] == v).cloned())
        .with_context(|| format!("synthesis.json: ice40_variants has no {v}"))?;
    let (u, a) = (
        r["logic_cells"].as_u64().unwrap_or(0),
        r["available"].as_u64().unwrap_or(1),
    );
    Ok(format!(
        "{} LC ({:.0}%): **{}**",
        thou(u),
        100.0 * u as f64 / a as f64,
        if r["fits"].as_bool() == Some(true) {
            "fits"
        } else {
            "does not fit"
        }
    ))
}

/// The XEM7010's whole design (`synth_xilinx` estimate): the figures quoted in the text, and
/// its resource record.
fn xem7010(page: &mut Page) -> Result<Usage> {
    let est = read_json(&page.root.join("bitstreams/xem7010/estimate.json"))?;
    let r = &est["resources"];
    let (l, la) = used_available(r, "lut");
    let (f, fa) = used_available(r, "ff");
    let (d, da) = used_available(r, "dsp48e1");
    page.set(
        "xem_lut",
        format!("{} ({})", thou(l), pct(l as f64 / la.max(1) as f64)),
    );
    page.set(
        "xem_ff",
        format!("{} ({})", thou(f), pct(f as f64 / fa.max(1) as f64)),
    );
    page.set(
        "xem_dsp",
        format!("{d} ({})", pct(d as f64 / da.max(1) as f64)),
    );
    let bram = |k: &str| r["block_ram"][k].as_f64().unwrap_or(0.0).round() as u64;
    Ok(Usage {
        name: "xem7010 (est.)".into(),
        res: vec![
            ("LUT", l, la),
            ("FF", f, fa),
            ("BRAM", bram("used"), bram("available")),
            ("DSP", d, da),
        ],
        target: Some(48.0),
        fmax: None,
    })
}

/// Utilization per design and resource; Fmax against target.
fn figures(page: &Page, usages: &[Usage]) -> Result<()> {
    let kinds = ["LUT", "FF", "BRAM", "DSP"];
    let cats: Vec<String> = usages.iter().map(|u| u.name.clone()).collect();
    let series: Vec<(String, Vec<f64>)> = kinds
        .iter()
        .map(|k| {
            (
                format!("{k} % of the part"),
                usages
                    .iter()
                    .map(|u| {
                        u.res
                            .iter()
                            .find(|r| r.0 == *k)
                            .map_or(f64::NAN, |r| 100.0 * r.1 as f64 / r.2.max(1) as f64)
                    })
                    .collect(),
            )
        })
        .collect();
    fig::bars(
        &page.figure("resources.svg"),
        "Resource use per design (% of the part)",
        "% used",
        Scale::Linear,
        &cats,
        &series,
        1500,
        Some(115.0),
    )?;
    let timed: Vec<&Usage> = usages.iter().filter(|u| u.fmax.is_some()).collect();
    fig::bars(
        &page.figure("fmax.svg"),
        "Fmax after routing (nextpnr) against the target clock",
        "MHz",
        Scale::Linear,
        &timed.iter().map(|u| u.name.clone()).collect::<Vec<_>>(),
        &[
            (
                "target".into(),
                timed.iter().map(|u| u.target.unwrap_or(f64::NAN)).collect(),
            ),
            (
                "Fmax".into(),
                timed.iter().map(|u| u.fmax.unwrap_or(f64::NAN)).collect(),
            ),
        ],
        1500,
        Some(130.0),
    )
}
