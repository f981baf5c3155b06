"""CLI commands of `detector.training`: `lantian train` and `lantian eval` (registered through `detector.cli`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.config import ConfigError

console = Console()

DataOption = Annotated[
    Path | None, typer.Option("--data", help="Corpus dir (templates/, registry.csv, *.jsonl). Default: models/data.")
]
ModelOption = Annotated[
    Path | None, typer.Option("--model-dir", help="Model artifacts dir. Default: models/detector.")
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Config dir (detector rules). Default: config/.")
]


def register(app: typer.Typer) -> None:
    """Add `train` and `eval` to the `lantian` app."""
    app.command("train")(train)
    app.command("eval")(evaluate)


def train(
    data: DataOption = None,
    model_dir: ModelOption = None,
    config: ConfigOption = None,
    rebuild_corpus: Annotated[
        bool, typer.Option("--rebuild-corpus", help="Regenerate the JSONL splits from the YAML templates first.")
    ] = False,
    corpus_only: Annotated[
        bool, typer.Option("--corpus-only", help="Only regenerate the corpus (implies --rebuild-corpus).")
    ] = False,
    with_reviews: Annotated[
        Path | None,
        typer.Option("--with-reviews", help="Also train on reviewers' decisions (JSONL from `lantian reviews "
                                            "export`) and print test figures before and after."),
    ] = None,
) -> None:
    """Train the detector's models (spaCy textcat, char n-gram model, stacker, thresholds) and save them.

    Cross-fits on the train and validation splits (each group of templates held out once) to fit the stacker and
    choose per-label thresholds, trains the final text models on both splits, prints held-out figures and writes
    the artifacts to the model dir. `lantian eval` then measures them on the test split. With `--with-reviews`,
    the reviewers' examples join the train split and the fixed test split is scored before and after.
    """
    from detector.classifier import default_model_dir
    from detector.training.corpus import (
        build_corpus,
        data_root,
        items_from_real,
        load_written_items,
        read_items,
        write_corpus,
    )
    from detector.training.real_corpus import RealCorpusError, load_real_corpus
    from detector.training.train import train_classifier

    root = data or data_root()
    out = model_dir or default_model_dir()
    try:
        if rebuild_corpus or corpus_only:
            corpus = build_corpus(root)
            paths = write_corpus(corpus, root)
            _print_counts(corpus.counts())
            console.print(f"corpus written: {', '.join(str(p) for p in paths.values())}")
            if corpus_only:
                return
        train_items = read_items(root / "train.jsonl")
        validation_items = read_items(root / "validation.jsonl")
        real_path = root / "real" / "items.jsonl"
        if real_path.exists():
            real = items_from_real(item for item in load_real_corpus(real_path) if item.split == "train")
            console.print(f"{len(real)} real-world passages (train split of {real_path}) join the train split")
            train_items = [*train_items, *real]
        written_path = root / "written" / "items.jsonl"
        if written_path.exists():
            written = load_written_items(written_path)
            console.print(f"{len(written)} written items ({written_path}) join the train split")
            train_items = [*train_items, *written]
        before = None
        if with_reviews is not None:
            reviews = read_items(with_reviews)
            console.print(f"{len(reviews)} reviewed examples from {with_reviews} join the train split")
            train_items = [*train_items, *reviews]
            if (out / "model.json").exists():
                before = _test_report(root, out, config)
        with _progress() as progress:
            task = progress.add_task("training", total=None)

            def stage(name: str) -> None:
                progress.update(task, description=name)

            classifier = train_classifier(train_items, validation_items, config=config, stage=stage)
        classifier.save(out)
    except (ConfigError, RealCorpusError) as exc:
        _fail(str(exc))
    console.print(f"model saved to {out} (train {len(train_items)} items, validation {len(validation_items)})")
    report = classifier.meta.get("cross_validation", {})
    table = Table("label", "threshold", "P", "R", "F1", title="out-of-fold figures on train + validation")
    for label, value in classifier.thresholds.items():
        row = report.get(label, {})
        table.add_row(label, f"{value:.2f}", *(f"{row.get(k, 0.0):.3f}" for k in ("precision", "recall", "f1")))
    console.print(table)
    if "hard_negative_fpr" in report:
        console.print(f"out-of-fold hard-negative false-positive rate: {report['hard_negative_fpr']:.3f}")
    if "real_any_label_recall" in report:
        console.print(f"out-of-fold on real-world train passages (grouped by document): any-label recall "
                      f"{report['real_any_label_recall']:.3f}, hard-negative false-positive rate "
                      f"{report.get('real_hard_negative_fpr', 0.0):.3f}")
    if with_reviews is not None:
        try:
            after = _test_report(root, out, config)
        except ConfigError as exc:
            _fail(str(exc))
        _print_before_after(before, after)


def _test_report(root: Path, model_dir: Path, config: Path | None):
    """The Detector with the model in `model_dir`, scored on the fixed test split and its obfuscated copy."""
    from detector.detector import Detector
    from detector.registry import AgencyRegistry
    from detector.training.corpus import read_items
    from detector.training.evaluate import evaluate as run_eval

    test = read_items(root / "test.jsonl")
    obfuscated = read_items(root / "test_obfuscated.jsonl")
    detector = Detector.load(config, model_dir, registry=AgencyRegistry.load(root / "registry.csv"))
    return run_eval("detector", detector.detect_many, test, obfuscated)


def _print_before_after(before, after) -> None:
    table = Table("test split", "before", "after", title="reviews: the detector before and after retraining")
    rows = (("macro-F1", lambda r: r.macro_f1), ("hard-negative FPR", lambda r: r.hard_negative_fpr),
            ("recall, clean", lambda r: r.clean_recall), ("recall, obfuscated", lambda r: r.obfuscated_recall))
    for name, value in rows:
        table.add_row(name, "—" if before is None else f"{value(before):.3f}", f"{value(after):.3f}")
    console.print(table)


def evaluate(
    data: DataOption = None,
    model_dir: ModelOption = None,
    config: ConfigOption = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON to this file.")
    ] = None,
    write_card: Annotated[
        bool, typer.Option("--write-card", help="Rewrite MODEL_CARD.md of the model dir with these figures.")
    ] = False,
) -> None:
    """Score the detector and the keyword baseline on the test split, its obfuscated copy and the real test split.

    Prints per-label precision/recall/F1, macro-F1, the false-positive rate on hard negatives, and recall on the
    obfuscated positives next to the clean recall; then, on the real-world test split (`real/items.jsonl` of the
    data dir), recall on quoted ads and the false-positive rates on real hard negatives and lawful ads. Both
    systems, with the targets.
    """
    from detector.classifier import default_model_dir
    from detector.detector import Detector
    from detector.registry import AgencyRegistry
    from detector.training.baseline import KeywordBaseline
    from detector.training.corpus import data_root, read_items
    from detector.training.evaluate import evaluate as run_eval
    from detector.training.evaluate import evaluate_real, sub_model_scores
    from detector.training.model_card import headline, write_model_card
    from detector.training.open_evasion import evaluate_open_evasion, without_sound_matching
    from detector.training.real_corpus import RealCorpusError, load_real_corpus
    from detector.training.train import model_inputs

    root = data or data_root()
    model_path = model_dir or default_model_dir()
    real_path = root / "real" / "items.jsonl"
    try:
        test = read_items(root / "test.jsonl")
        obfuscated = read_items(root / "test_obfuscated.jsonl")
        real = [item for item in load_real_corpus(real_path) if item.split == "test"] if real_path.exists() else []
        registry = AgencyRegistry.load(root / "registry.csv")
        detector = Detector.load(config, model_path, registry=registry)
        baseline = KeywordBaseline(registry)
        total = 2 * (len(test) + len(obfuscated) + len(real))
        with _progress() as progress:
            task = progress.add_task("detector", total=total)
            advance = lambda n: progress.advance(task, n)  # noqa: E731
            report = run_eval("detector", detector.detect_many, test, obfuscated, advance=advance)
            real_report = evaluate_real("detector", detector.detect_many, real, advance=advance) if real else None
            progress.update(task, description="keyword baseline")
            base_report = run_eval("keyword baseline", baseline.detect_many, test, obfuscated, advance=advance)
            real_base = (evaluate_real("keyword baseline", baseline.detect_many, real, advance=advance)
                         if real else None)
            progress.update(task, description="open-ended evasions")
            terms = list(detector.normalizer.sound.index.terms) if detector.normalizer.sound else []
            evaded = evaluate_open_evasion(detector.detect_many, without_sound_matching(detector).detect_many,
                                           test, terms)
            base_evaded = evaluate_open_evasion(baseline.detect_many, None, test, terms)
        parts = None
        if write_card:
            texts, features = model_inputs(test, config)
            parts = sub_model_scores(detector.classifier, texts, features, test)
    except (ConfigError, RealCorpusError) as exc:
        _fail(str(exc))
    _print_headline(headline(report, base_report, (evaded, base_evaded), real_report, real_base))
    _print_reports(report, base_report)
    _print_open_evasion(evaded, base_evaded)
    if real_report is not None and real_base is not None:
        _print_real_reports(real_report, real_base)
    else:
        console.print(f"no real-world corpus at {real_path}: real-world figures not measured")
    if json_out:
        figures = {"detector": report.as_dict(), "baseline": base_report.as_dict(),
                   "open_evasion": {"detector": evaded.as_dict(), "baseline": base_evaded.as_dict()}}
        if real_report is not None and real_base is not None:
            figures["real_world"] = {"detector": real_report.as_dict(), "baseline": real_base.as_dict()}
        json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        console.print(f"figures written to {json_out}")
    if write_card:
        path = write_model_card(model_path, report, base_report, parts, root, (evaded, base_evaded),
                                real_report, real_base)
        console.print(f"model card written to {path}")


def _print_headline(rows: list[tuple[str, ...]]) -> None:
    from detector.training.model_card import REPRODUCE

    table = Table("test set", "figure", "detector", "keyword baseline", "target",
                  title="At a glance: the three test sets, detector next to the keyword baseline")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"reproduce: {REPRODUCE}")


def _print_reports(report, base) -> None:
    from detector.training.evaluate import TARGETS

    table = Table(title=f"Test split: {report.items} items ({report.hard_negatives} hard negatives); "
                        "detector | kw = keyword baseline")
    table.add_column("label")
    for name in ("", "kw "):
        for metric in ("P", "R", "F1"):
            table.add_column(f"{name}{metric}", justify="right")
    table.add_column("n", justify="right")
    for label, score in report.per_label.items():
        other = base.per_label[label]
        table.add_row(label, *(f"{v:.3f}" for v in (score.precision, score.recall, score.f1,
                                                    other.precision, other.recall, other.f1)),
                      str(score.support))
    console.print(table)
    summary = Table("figure", "detector", "baseline", "target")
    marks = report.meets_targets()
    summary.add_row("macro-F1", f"{report.macro_f1:.3f}", f"{base.macro_f1:.3f}",
                    f"≥ {TARGETS['macro_f1']:.2f} {_mark(marks['macro_f1'])}")
    summary.add_row("hard-negative FPR", _fpr(report), _fpr(base),
                    f"≤ {TARGETS['hard_negative_fpr']:.2f} {_mark(marks['hard_negative_fpr'])}")
    summary.add_row("recall, clean positives", f"{report.clean_recall:.3f}", f"{base.clean_recall:.3f}", "")
    summary.add_row("recall, obfuscated copy", f"{report.obfuscated_recall:.3f}", f"{base.obfuscated_recall:.3f}",
                    f"gap ≤ {TARGETS['obfuscated_recall_gap']:.2f} {_mark(marks['obfuscated_recall_gap'])}")
    console.print(summary)


def _print_open_evasion(evaded, base) -> None:
    from detector.training.open_evasion import TARGET_GAP

    table = Table("figure", "detector", "baseline", "target",
                  title=f"Open-ended evasions (detector/training/open_evasion.py): {evaded.items} positives with "
                        "key terms respelled by sound")
    table.add_row("recall, same items clean", f"{evaded.clean_recall:.3f}", f"{base.clean_recall:.3f}", "")
    table.add_row("recall, evaded", f"{evaded.evaded_recall:.3f}", f"{base.evaded_recall:.3f}",
                  f"gap ≤ {TARGET_GAP:.2f} {_mark(evaded.meets_target())}")
    for kind, recall in evaded.evaded_recall_by_kind.items():
        table.add_row(f"  with {kind}", f"{recall:.3f}", f"{base.evaded_recall_by_kind[kind]:.3f}", "")
    table.add_row("hard-negative FPR, sound matching on / off",
                  f"{evaded.hard_negative_fpr:.4f} / {evaded.hard_negative_fpr_without_sound:.4f}", "",
                  f"no rise {_mark(evaded.hard_negative_fpr <= evaded.hard_negative_fpr_without_sound)}")
    console.print(table)


def _print_real_reports(report, base) -> None:
    from detector.training.evaluate import REAL_TARGETS

    table = Table("figure", "detector", "baseline", "target",
                  title=f"Real-world test split: {report.items} passages of public text (content labels)")
    marks = report.meets_targets()
    table.add_row("any-label recall, quoted ads", _share(report.any_label_recall), _share(base.any_label_recall),
                  f"≥ {REAL_TARGETS['any_label_recall']:.2f} {_mark(marks['any_label_recall'])}")
    for label, share in report.label_recall.items():
        table.add_row(f"  recall, {label}", _share(share), _share(base.label_recall[label]), "")
    table.add_row("hard-negative FPR", _share(report.hard_negatives), _share(base.hard_negatives),
                  f"≤ {REAL_TARGETS['hard_negative_fpr']:.2f} {_mark(marks['hard_negative_fpr'])}")
    table.add_row("lawful-ad FPR", _share(report.lawful_ads), _share(base.lawful_ads), "")
    table.add_row("unrelated FPR", _share(report.unrelated), _share(base.unrelated), "")
    table.add_row("paraphrased claims flagged (not headline)", _share(report.paraphrases), _share(base.paraphrases),
                  "")
    console.print(table)


def _share(share) -> str:
    return f"{share.rate:.3f} ({share.hits}/{share.total})"


def _fpr(report) -> str:
    return f"{report.hard_negative_fpr:.4f} ({report.hard_negatives_flagged}/{report.hard_negatives})"


def _mark(ok: bool) -> str:
    return "[green]met[/green]" if ok else "[red]missed[/red]"


def _print_counts(counts: dict[str, dict[str, int]]) -> None:
    table = Table("corpus", *counts, title="items per split")
    for key in next(iter(counts.values())):
        table.add_row(key, *(str(row[key]) for row in counts.values()))
    console.print(table)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=1)
