//! Trains the router's classifier on the training rows and writes `src/router/model.bin`.
//!
//! `cargo run --release --example train_router` retrains (run it after changing a training
//! file or the features; a unit test fails until you do).
//! `… -- --cv` instead measures leave-one-file-out: each training file in turn is held
//! out, the model is trained on the others, and the held-out file is scored;
//! `-- --cv --folds` holds out every fifth row instead. Evaluation
//! sets are never read here: they are measured by tests/suite/routing_eval.rs.

use std::path::Path;

use codecrucible::router::classifier::{self, TRAINING_FILES};
use codecrucible::router::train::{self, Row};
use codecrucible::router::TaskType;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let texts: Vec<(&str, String)> = TRAINING_FILES
        .iter()
        .map(|f| match std::fs::read_to_string(root.join(f)) {
            Ok(t) => (*f, t),
            Err(e) => {
                eprintln!("cannot read {f}: {e}");
                std::process::exit(1);
            }
        })
        .collect();
    if std::env::args().any(|a| a == "--cv") {
        cross_validate(&texts, std::env::args().any(|a| a == "--folds"));
        return;
    }
    let rows: Vec<Row> = texts.iter().flat_map(|(_, t)| train::rows(t)).collect();
    let contents: Vec<&str> = texts.iter().map(|(_, t)| t.as_str()).collect();
    let fingerprint = classifier::fingerprint(&train::settings(), &contents);
    let bytes = train::train(&rows, fingerprint);
    let out = root.join("src/router/model.bin");
    if let Err(e) = std::fs::write(&out, &bytes) {
        eprintln!("cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
    println!(
        "trained on {} rows; wrote {} ({} bytes)",
        rows.len(),
        out.display(),
        bytes.len()
    );
}

/// Each training file in turn is the test set; with `folds`, every fifth row is instead
/// (five rounds), which measures the mixture rather than one author against the rest.
fn cross_validate(texts: &[(&str, String)], folds: bool) {
    let all: Vec<(usize, Row)> = texts
        .iter()
        .enumerate()
        .flat_map(|(i, (_, t))| train::rows(t).into_iter().map(move |r| (i, r)))
        .collect();
    let settings = settings_from_args();
    let rows: Vec<Row> = all
        .iter()
        .map(|(_, r)| Row {
            prompt: r.prompt.clone(),
            task: r.task,
        })
        .collect();
    let mut data = train::examples(&rows);
    // `rules=X` rescales the rules' verdict (the last 11 features), to weigh it by
    // cross-validation.
    if let Some(x) = std::env::args().find_map(|a| a.strip_prefix("rules=")?.parse::<f32>().ok()) {
        for (f, _) in &mut data {
            let n = f.len();
            for (_, v) in &mut f[n - 11..] {
                *v *= x;
            }
        }
    }
    let rounds = if folds { 5 } else { texts.len() };
    let held_out = |round: usize, k: usize, file: usize| {
        if folds {
            k % 5 == round
        } else {
            file == round
        }
    };
    // per file: (rows, classifier task, classifier route, rules task, rules route)
    let mut per = vec![[0usize; 5]; texts.len()];
    for round in 0..rounds {
        let train_data: Vec<train::Example> = all
            .iter()
            .zip(&data)
            .enumerate()
            .filter(|(k, ((f, _), _))| !held_out(round, *k, *f))
            .map(|(_, (_, d))| d.clone())
            .collect();
        let Some(model) = train::fit_model(&train_data, settings) else {
            eprintln!("training produced no model");
            std::process::exit(1);
        };
        for (k, (f, row)) in all.iter().enumerate() {
            if !held_out(round, k, *f) {
                continue;
            }
            let got = argmax(&model.log_posterior(&data[k].0));
            let rules = argmax(&train::rules_only(&row.prompt));
            let p = &mut per[*f];
            p[0] += 1;
            p[1] += usize::from(got == row.task);
            p[2] += usize::from(got.route() == row.task.route());
            p[3] += usize::from(rules == row.task);
            p[4] += usize::from(rules.route() == row.task.route());
        }
    }
    let pct = |a: usize, n: usize| 100.0 * a as f64 / n.max(1) as f64;
    let mut sum = [0usize; 5];
    for ((name, _), p) in texts.iter().zip(&per) {
        println!(
            "{name}: {} rows, task {:.1}% (rules {:.1}%), route {:.1}% (rules {:.1}%)",
            p[0],
            pct(p[1], p[0]),
            pct(p[3], p[0]),
            pct(p[2], p[0]),
            pct(p[4], p[0])
        );
        for (s, x) in sum.iter_mut().zip(p) {
            *s += x;
        }
    }
    println!(
        "all: {} rows, task {:.1}% (rules {:.1}%), route {:.1}% (rules {:.1}%)",
        sum[0],
        pct(sum[1], sum[0]),
        pct(sum[3], sum[0]),
        pct(sum[2], sum[0]),
        pct(sum[4], sum[0])
    );
}

/// `epochs=N rate=R l2=L min_count=M` on the command line override the shipped settings,
/// to compare settings by cross-validation.
fn settings_from_args() -> train::Settings {
    let mut s = train::SETTINGS;
    for arg in std::env::args() {
        let Some((k, v)) = arg.split_once('=') else {
            continue;
        };
        match k {
            "epochs" => s.epochs = v.parse().unwrap_or(s.epochs),
            "rate" => s.rate = v.parse().unwrap_or(s.rate),
            "l2" => s.l2 = v.parse().unwrap_or(s.l2),
            "min_count" => s.min_count = v.parse().unwrap_or(s.min_count),
            _ => {}
        }
    }
    println!("{s:?}");
    s
}

fn argmax(lp: &[f32; 11]) -> TaskType {
    let best = (0..11)
        .max_by(|a, b| lp[*a].total_cmp(&lp[*b]))
        .unwrap_or(0);
    TaskType::ALL[best]
}
