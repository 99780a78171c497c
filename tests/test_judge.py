"""The independent judge (aiSFX, installed with `pip install --no-deps aisfx==0.1.2`) and its scores
against a corpus of recordings: it loads offline from its wheel, hears kinds of sound apart, and the
round trip / generated / real scores are what they claim."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from foleykit.errors import ModelNotAvailableError
from foleykit.synth import room_named, synthesize
from tests.bench_scripts import bench_module
from tests.corpora import CLASSES, write_corpus

pytest.importorskip(
    "aisfx", reason="the judge: pip install --no-deps aisfx==0.1.2 (the README's test command does)"
)

from foleykit.evaluation.judge import EMBEDDING_DIM, Judge
from foleykit.evaluation.judged import (
    judge_model,
    judge_real,
    nearest_centroid,
    real_reference,
    round_trip,
)

RATE = 16000


@pytest.fixture(scope="module")
def judge() -> Judge:
    return Judge.load()


def test_the_judge_loads_from_its_wheel_and_hears_kinds_of_sound_apart(judge: Judge) -> None:
    clips = {label: [synthesize(label, 41_000 + s, 3.0, RATE).audio for s in range(3)] for label in CLASSES}
    embeddings = {label: judge.embed_many(waves, RATE) for label, waves in clips.items()}
    for rows in embeddings.values():
        assert rows.shape == (3, EMBEDDING_DIM) and np.isfinite(rows).all() and rows.any()
    centroids = np.stack([rows[:2].mean(axis=0) for rows in embeddings.values()])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    held_out = np.stack([rows[2] for rows in embeddings.values()])
    assert list(nearest_centroid(held_out, centroids)) == [0, 1, 2], "a bell, rain and a knock told apart"


def test_the_rate_a_clip_arrives_at_does_not_matter(judge: Judge) -> None:
    """Every clip is resampled to 44.1 kHz first: a 48 kHz file and its 44.1 kHz copy embed alike."""
    from foleykit.audio.post import resample

    wave = synthesize("glass_shatter", 3, 2.0, 48000).audio
    a = judge.embed(wave, 48000)
    b = judge.embed(resample(wave[None], 48000, 44100)[0], 44100)
    c = judge.embed(synthesize("engine_idle", 3, 2.0, 48000).audio, 48000)
    cosine = lambda x, y: float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))  # noqa: E731
    assert cosine(a, b) > 0.999 and cosine(a, c) < 0.95


def test_scores_against_a_corpus(judge: Judge, tmp_path: Path) -> None:
    reference = real_reference(write_corpus(tmp_path, RATE), judge, RATE)
    assert reference.classes == tuple(sorted(CLASSES)) and len(reference.test_waves) == 3
    real = judge_real(reference)
    assert real["accuracy"] == 1.0 and real["frechet_real"] >= 0
    same = round_trip(reference, judge, lambda wave: wave, RATE)
    assert same["similarity"] == pytest.approx(1.0, abs=1e-5)
    assert same["accuracy"] == real["accuracy"] and same["frechet"] < 1e-6, "an identity decoder is perfect"
    silence = round_trip(reference, judge, lambda wave: np.zeros_like(wave) + 1e-4 * np.sign(wave), RATE)
    assert silence["frechet"] > same["frechet"] + 1.0 and silence["similarity"] < same["similarity"] - 0.05


def test_judge_model_scores_a_bundled_pipeline_end_to_end(
    tiny_bundled_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from foleykit.engine import Engine

    engine = Engine.load(str(tiny_bundled_dir), device="cpu", progress=False)
    prompts = [("bell", "a church bell tolling"), ("typing", "keys clacking"), ("rain", "drizzle on a roof")]
    corpus = write_corpus(tmp_path, RATE)
    capsys.readouterr()
    scores = judge_model(engine, corpus, takes_per_clip=1, steps=2, prompts=prompts, progress=True)
    shown = capsys.readouterr().err.splitlines()
    for bar, total in [
        ("decoder round trip", 3),
        ("latent round trip", 3),
        ("caption takes", 3),
        ("prompt takes", 2),
    ]:
        assert any(line.startswith(f"judge: {bar}:") and f" {total}/{total} " in line for line in shown), (
            shown
        )
    assert scores["generated_prompts"]["clips"] == 2, "typing has no recordings in this corpus: not judged"
    assert scores["round_trip"]["decoder"] == "griffin-lim-mel" and scores["round_trip"]["clips"] == 3
    made = scores["generated"]
    assert scores["takes_trimmed"] and scores["generated_whole"]["texts"] == made["texts"]
    assert scores["generated_whole"]["clips"] == 3
    assert made["clips"] == 3 and 0 <= made["accuracy"] <= 1
    assert len(made["recognised"]) == 3 and made["accuracy"] == np.mean(made["recognised"])
    assert made["accuracy_interval"][0] <= made["accuracy"] <= made["accuracy_interval"][1]
    assert made["texts"] == [c for c in scores["round_trip"]["texts"]] and len(made["texts"]) == 3
    assert scores["latent_round_trip"]["clips"] == 3 and scores["synthesised"]["clips"] == 3
    # the VAE's round trip is a different sound from the mel's (a tiny random VAE loses nearly everything)
    assert scores["latent_round_trip"]["frechet"] != scores["round_trip"]["frechet"]
    assert set(scores["ratios"]) == {
        "round_trip_accuracy",
        "latent_round_trip_accuracy",
        "generated_accuracy",
        "generated_frechet",
    }
    json.dumps(scores)  # eval.json takes it as it is
    assert scores["first_seed"] == 0
    fresh = judge_model(engine, tmp_path, takes_per_clip=1, steps=2, first_seed=1000)
    assert fresh["first_seed"] == 1000 and fresh["generated"]["texts"] == made["texts"]
    assert fresh["generated"]["frechet"] != made["frechet"], "other seeds, other takes"


def test_takes_are_trimmed_like_the_recordings() -> None:
    """A 0.5 s burst in a 4 s take is judged as the corpus builder would have kept it: the burst and its
    20 ms margins, in mono; a silent take stays whole rather than vanishing."""
    from foleykit.corpus.build import MARGIN_SECONDS
    from foleykit.evaluation.judged import as_recorded

    take = np.zeros((2, 4 * RATE), np.float32)
    take[:, RATE : RATE + RATE // 2] = np.random.default_rng(0).uniform(-0.5, 0.5, RATE // 2)
    trimmed = as_recorded(take, RATE)
    assert trimmed.ndim == 1
    assert len(trimmed) == pytest.approx(RATE // 2 + 2 * MARGIN_SECONDS * RATE, abs=2)
    assert np.array_equal(
        trimmed[round(MARGIN_SECONDS * RATE) :][: RATE // 2], take[0, RATE : RATE + RATE // 2]
    )
    assert len(as_recorded(np.zeros(RATE, np.float32), RATE)) == RATE


def test_a_missing_judge_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from foleykit.evaluation.judge import require_judge

    monkeypatch.setitem(sys.modules, "aisfx", None)  # import aisfx → ImportError
    with pytest.raises(ModelNotAvailableError, match=r"pip install --no-deps aisfx==0\.1\.2"):
        require_judge()


def test_eval_with_a_bad_corpus_stops_before_any_work(tmp_path: Path) -> None:
    from tests.test_cli import assert_one_line_error, foleykit_cli

    run = foleykit_cli("eval", "--corpus", str(tmp_path / "nowhere"), "--json")
    assert_one_line_error(run, "nowhere")


def test_intervals_resample_whole_prompts() -> None:
    from foleykit.evaluation.judged import group_interval

    # 12 prompts, 4 takes each, every take of a prompt alike: as uncertain as 12 draws, not 48
    recognised = np.repeat(np.arange(12) % 2, 4).astype(float)
    by_prompt = group_interval(np.repeat(np.arange(12), 4), lambda rows: recognised[rows].mean())
    by_take = group_interval(np.arange(48), lambda rows: recognised[rows].mean())
    assert by_prompt[0] < 0.5 < by_prompt[1] and by_take[0] < 0.5 < by_take[1]
    assert by_prompt[1] - by_prompt[0] > 1.6 * (by_take[1] - by_take[0])
    assert group_interval(np.array([0, 0, 1, 1]), lambda rows: 0.0) is None, "two prompts: no interval"


def _judged(recognised: list[int], texts: list[str], takes: int) -> dict:
    return {
        "real": {"test_clips": len(texts), "classes": ["a", "b"]},
        "takes_per_clip": takes,
        "takes_trimmed": True,
        "generated": {
            "accuracy": float(np.mean(recognised)),
            "recognised": recognised,
            "groups": np.repeat(np.arange(len(texts)), takes).tolist(),
            "texts": texts,
            "frechet": 50.0,
            "clips": len(recognised),
        },
    }


def test_two_models_are_compared_take_for_take(tmp_path: Path) -> None:
    from foleykit.errors import BadInputError
    from foleykit.evaluation.judged import compare_judged, read_judged

    texts = [f"prompt {i}" for i in range(10)]
    old = _judged([0, 0] * 10, texts, 2)
    new = _judged([1, 1] * 5 + [0, 0] * 5, texts, 2)
    pair = compare_judged(new, old)["generated"]
    assert pair["difference"] == 0.5 and pair["accuracy"] == [0.5, 0.0]
    assert 0 < pair["interval"][0] < 0.5 < pair["interval"][1] < 1, "better on 5 of 10 prompts: surely better"
    few = compare_judged(_judged([1, 1] + [0, 0] * 9, texts, 2), old)["generated"]
    assert few["interval"][0] == 0 < few["difference"], "better on 1 of 10 prompts: may be seeds"
    same = compare_judged(old, old)["generated"]
    assert same["difference"] == 0 and same["interval"] == [0.0, 0.0], "same takes: no difference at all"
    with pytest.raises(BadInputError, match="other prompts"):
        compare_judged(_judged([0, 0] * 10, [*texts[:-1], "another"], 2), old)
    with pytest.raises(BadInputError, match="different corpora"):
        compare_judged({**new, "real": {"test_clips": 11, "classes": ["a", "b"]}}, old)

    report = tmp_path / "eval.json"
    report.write_text(json.dumps({"judge": old}))
    assert read_judged(report, 2)["generated"]["texts"] == texts
    for content, takes, message in [
        ({"judge": old}, 3, "--takes-per-clip 2, this run 3"),
        ({"template_accuracy": 0.9}, 2, "not an eval report with the judge"),
        ({"judge": {"generated": {"accuracy": 0.5}}}, 2, "before eval kept per-take results"),
        ({"judge": {**old, "takes_trimmed": None}}, 2, "before eval trimmed takes' silence"),
    ]:
        report.write_text(json.dumps(content))
        with pytest.raises(BadInputError, match=message):
            read_judged(report, takes)
    report.write_text(json.dumps({"judge": old}))  # made before first_seed was recorded: seeds from 0
    with pytest.raises(BadInputError, match="start at seed 0, this run's at 1000"):
        read_judged(report, 2, first_seed=1000)
    report.write_text(json.dumps({"judge": {**old, "first_seed": 1000}}))
    assert read_judged(report, 2, first_seed=1000)["first_seed"] == 1000
    report.write_text("{not json")
    with pytest.raises(BadInputError, match="cannot read"):
        read_judged(report, 2)


def test_eval_compare_is_checked_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from foleykit.cli import main

    corpus = write_corpus(tmp_path / "corpus", RATE, classes=CLASSES[:2], seconds=1.0)
    for argv, message in [
        (["--compare", str(tmp_path / "a.json")], "needs --corpus"),
        (["--corpus", str(corpus), "--compare", str(tmp_path / "missing.json")], "missing.json"),
    ]:
        assert main(["eval", "--out", str(tmp_path / "out"), *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
        assert not (tmp_path / "out").exists(), "nothing made before the check"


def test_a_class_with_many_prompts_cannot_carry_the_class_mean() -> None:
    """Class "a" has 8 prompts, "b" and "c" one each: a model better on "a" only and worse on "b" gains in
    the take-weighted accuracy and loses in the class mean; both are reported, each paired."""
    from foleykit.evaluation.judged import RealReference, compare_judged

    centroids = np.eye(3, 4)
    reference = RealReference(
        classes=("a", "b", "c"), centroids=centroids, test_waves=(), test_labels=np.array([]),
        test_captions=(), test_embeddings=np.zeros((0, 4)), train_embeddings=np.zeros((0, 4)), rate=16000,
    )  # fmt: skip
    labels = np.repeat([0] * 8 + [1, 2], 2)  # 10 prompts, 2 takes each
    texts = [f"prompt {i}" for i in range(10)]

    def judged(heard_as: np.ndarray) -> dict:
        scores = reference.scored(centroids[heard_as], labels)
        made = {**scores, "groups": np.repeat(np.arange(10), 2).tolist(), "texts": texts, "frechet": 1.0}
        return {"real": {"test_clips": 10, "classes": ["a", "b", "c"]}, "generated": {**made, "clips": 20}}

    old_heard = np.where(np.arange(20) < 8, 0, 2)  # "a" half right, "b" wrong, "c" right
    old_heard[16:18] = 1  # "b" right
    new_heard = old_heard.copy()
    new_heard[8:16] = 0  # all of "a" right
    new_heard[16:18] = 2  # "b" now wrong
    old, new = judged(old_heard), judged(new_heard)
    assert old["generated"]["per_class"] == {"a": 0.5, "b": 1.0, "c": 1.0}
    assert old["generated"]["heard_as"] == old_heard.tolist(), "each sound's nearest class is kept"
    assert new["generated"]["balanced_accuracy"] == pytest.approx(2 / 3)
    pair = compare_judged(new, old)["generated"]
    assert pair["difference"] == pytest.approx(0.3) and pair["balanced_difference"] == pytest.approx(-1 / 6)
    low, high = pair["balanced_interval"]
    assert low <= -1 / 6 <= high
    assert pair["per_class"] == {
        "a": {"new": 1.0, "old": 0.5, "takes": 16},
        "b": {"new": 0.0, "old": 1.0, "takes": 2},
        "c": {"new": 1.0, "old": 1.0, "takes": 2},
    }, "where the difference comes from"
    from foleykit.cli import _by_class_line

    assert _by_class_line(pair["per_class"]).split(": ", 1)[1] == "a +50, b -100", "c did not move"
    assert _by_class_line(compare_judged(old, old)["generated"]["per_class"]).endswith("no class moved")


def test_the_eval_report_prints_where_a_paired_difference_comes_from(capsys: pytest.CaptureFixture) -> None:
    from foleykit.cli import _print_judged
    from foleykit.evaluation.judged import compare_judged

    texts = [f"prompt {i}" for i in range(10)]
    old = _judged([0, 0] * 10, texts, 2)
    new = _judged([1, 1] * 5 + [0, 0] * 5, texts, 2)
    for judged in (old, new):
        judged["real"].update(accuracy=0.8, frechet_real=20.0)
        judged["generated"]["labels"] = [0] * 10 + [1] * 10
    _print_judged({**new, "compared": {"with": "old/eval.json", **compare_judged(new, old)}})
    lines = capsys.readouterr().out.splitlines()
    paired = next(
        i for i, line in enumerate(lines) if line.strip().startswith("generated takes") and "points" in line
    )
    assert "+50.0 points" in lines[paired] and lines[paired + 1].strip() == "by class: a +100"


def test_walks_bench_counts_walks_whose_loudest_step_is_heard() -> None:
    """bench/walks.py's summary: per gait asked, a take counts as a heard walk only when it is a walk (3 events
    or more) and the judge recognised its loudest step; a recognised single step is no heard walk. A group with
    a row stored before the per-take verdicts were (session 34's files) is summarised without heard walks."""
    walks_bench = bench_module("walks")
    run = {
        "prompts": [
            {"gait": "walk", "events": [7, 1, 3, 2], "whole": 1, "step": 3, "step_takes": [1, 1, 0, 1]},
            {"gait": "walk", "events": [8, 9, 1, 1], "whole": 0, "step": 1, "step_takes": [0, 1, 0, 0]},
            {"gait": None, "events": [1, 5, 1, 1], "whole": 2, "step": 2, "step_takes": [1, 1, 0, 0]},
        ]
    }
    summary = walks_bench.summary(run, takes=4)
    assert summary["walk"] == {"takes": 8, "walks": 4, "whole": 1, "step": 4, "heard_walks": 2}
    assert summary["None"] == {"takes": 4, "walks": 1, "whole": 2, "step": 2, "heard_walks": 1}
    del run["prompts"][1]["step_takes"]  # a row stored without step verdicts: its group counts no heard walks
    earlier = walks_bench.summary(run, takes=4)
    assert earlier["walk"] == {"takes": 8, "walks": 4, "whole": 1, "step": 4}
    assert earlier["None"] == summary["None"]


def test_per_class_gap_pools_looks_and_names_what_a_class_was_heard_as(tmp_path: Path) -> None:
    """bench/per_class_gap.py: the takes of two looks are pooled, the recordings and round trips counted once."""
    gap = bench_module("per_class_gap")

    def scores(labels: list[int], recognised: list[int], heard_as: list[int]) -> dict:
        return {"labels": labels, "recognised": recognised, "heard_as": heard_as}

    real = {**scores([0, 0, 1], [1, 1, 0], [0, 0, 0]), "classes": ["bell", "wind"]}

    def look(prompt_hits: list[int]) -> dict:
        return {
            "real": real,
            "round_trip": scores([0, 0, 1], [1, 0, 0], [0, 1, 0]),
            "generated": scores([0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1]),
            "generated_prompts": scores([1, 1], prompt_hits, [1 if hit else 0 for hit in prompt_hits]),
        }

    rows = {row["class"]: row for row in gap.per_class([look([1, 0]), look([0, 0])])}
    bell, wind = rows["bell"], rows["wind"]
    assert bell["real"] == {"recognised": 2, "takes": 2, "heard_as": {}}, "recordings counted once"
    assert bell["round_trip"]["recognised"] == 1 and bell["round_trip"]["heard_as"] == {"wind": 1}
    assert bell["generated"] == {"recognised": 2, "takes": 4, "heard_as": {"wind": 2}}, "two looks pooled"
    assert bell["caption_ratio"] == 0.5 and bell["target_met"] is False
    assert wind["caption_ratio"] is None and wind["target_met"] is None, "its recording is never recognised"
    assert wind["generated_prompts"] == {"recognised": 1, "takes": 4, "heard_as": {"bell": 3}}
    assert "synthesised" in bell and bell["synthesised"]["takes"] == 0  # a look without that stage
    table = gap.markdown(list(rows.values()))
    assert "| bell | 100 % (2) | 50 % (2) |" in table and "**×0.50**" in table and "bell 3" in table
    with pytest.raises(ValueError, match="same corpus"):
        gap.per_class([look([1, 0]), {**look([0, 0]), "real": {**real, "labels": [0, 1, 1]}}])
    report = tmp_path / "eval.json"
    report.write_text(json.dumps({"judge": look([1, 1])}))
    assert gap.main([str(report), "--json", str(tmp_path / "rows.json")]) == 0
    assert len(json.loads((tmp_path / "rows.json").read_text())["rows"]) == 2
    assert gap.main([str(tmp_path / "missing.json")]) == 2


def test_per_class_gap_pools_the_train_recordings_each_judged_without_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench/per_class_gap.py --left-out: a class's test recordings and its train recordings left out one at a
    time make one ceiling; the takes' ratios are to it, and a class no probe judged keeps only the first table."""
    gap = bench_module("per_class_gap")

    def scores(labels: list[int], recognised: list[int]) -> dict:
        return {"labels": labels, "recognised": recognised, "heard_as": [0] * len(labels)}

    look = {
        "real": {**scores([0, 1], [0, 1]), "classes": ["bell", "wind"]},
        "generated": scores([0, 0, 0, 0, 1], [1, 1, 0, 0, 1]),
        "generated_prompts": scores([0, 0, 0, 0, 1, 1], [1, 1, 1, 0, 1, 1]),
    }
    probe = {"classes": {"bell": {"recordings": {"n": 3, "recognised": 2}}}}
    rows = {row["class"]: row for row in gap.with_left_out(gap.per_class([look]), [probe])}
    bell = rows["bell"]
    assert bell["real"]["recognised"] == 0, "the one test recording: no ratio of its own"
    assert bell["caption_ratio"] is None
    assert bell["left_out"] == {"recognised": 2, "takes": 3}
    assert bell["pooled_real"] == {"recognised": 2, "takes": 4}
    assert bell["caption_ratio_pooled"] == pytest.approx(0.5 / 0.5)
    assert bell["prompt_ratio_pooled"] == pytest.approx(0.75 / 0.5)
    assert "pooled_real" not in rows["wind"]
    lone = {
        "classes": {"bell": {"recordings": {"n": 0, "recognised": 0}}}
    }  # one train recording: none left out
    assert gap.with_left_out(gap.per_class([look]), [lone])[0]["prompt_ratio_pooled"] is None
    report, probe_file = tmp_path / "eval.json", tmp_path / "probe.json"
    report.write_text(json.dumps({"judge": look}))
    probe_file.write_text(json.dumps(probe))
    assert gap.main([str(report), "--left-out", str(probe_file), "--json", str(tmp_path / "rows.json")]) == 0
    written = json.loads((tmp_path / "rows.json").read_text())
    assert written["left_out"] == [str(probe_file)] and written["rows"][0]["left_out"]["takes"] == 3
    table = gap.pooled_markdown(list(rows.values()))
    assert "| bell | 0 % (1) | 67 % (3) | 50 % (4) | 50 % (4) | ×1.00 | 75 % (4) | ×1.50 |" in table
    assert "wind" not in table
    # a probe from before a lone recording went unjudged: its 0 of 1 is no verdict (the other probe's count stands)
    stale = {"classes": {"bell": {"recordings": {"n": 1, "recognised": 0}}}}
    fixed = {"classes": {"bell": {"recordings": {"n": 0, "recognised": 0, "train_recordings": 1}}}}
    for order in ([stale, fixed], [fixed, stale]):
        assert gap.with_left_out(gap.per_class([look]), order)[0]["left_out"] == {"recognised": 0, "takes": 0}
    with pytest.raises(ValueError, match="count bell's recordings differently"):
        gap.with_left_out(gap.per_class([look]), [probe, fixed])
    for bad in (
        {"classes": {"bell": {}}},
        {"classes": ["bell"]},
        [],
        {"classes": {"bell": {"recordings": {"n": "3"}}}},
    ):
        probe_file.write_text(json.dumps(bad))
        assert gap.main([str(report), "--left-out", str(probe_file)]) == 2
        assert "is not a bench/class_probe.py report" in capsys.readouterr().err


def test_anchor_quality_prunes_only_anchors_none_of_whose_takes_was_recognised(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    """bench/anchor_quality.py --prune-into: the unrecognised anchors leave the list, the own anchors and the
    unjudged anchors stay, the stale stored embeddings are made again for the new list and its digest is
    recorded, the source model is untouched."""
    import hashlib
    import shutil

    from foleykit.pipelines.foley.pipeline_foley import (
        KNOWN_CAPTIONS,
        KNOWN_EMBEDDINGS,
        read_known_embeddings,
    )
    from foleykit.training.records import RECORD

    quality_tool = bench_module("anchor_quality")
    model = tmp_path / "model"
    shutil.copytree(tiny_bundled_dir, model)
    listed = {
        "captions": ["a diesel engine idling", "a small engine running", "a heart beating"],
        "own_anchors": ["x"],
    }
    (model / KNOWN_CAPTIONS).write_text(json.dumps(listed))
    (model / KNOWN_EMBEDDINGS).write_bytes(b"stale")
    index = json.loads((model / "model_index.json").read_text())
    (model / "model_index.json").write_text(
        json.dumps({**index, "anchor_weight": 0.5, "bare_anchor_weight": 0.85})
    )
    quality = {
        "anchors": {
            "a diesel engine idling": {"label": "engine_idle", "recognised": 0, "takes": 2},
            "a small engine running": {"label": "engine_idle", "recognised": 1, "takes": 2},
        }
    }
    assert quality_tool.unrecognised(quality) == {"a diesel engine idling"}
    assert quality_tool.prune_into(model, quality, tmp_path / "pruned") == (3, 2)
    pruned = tmp_path / "pruned"
    assert json.loads((pruned / KNOWN_CAPTIONS).read_text()) == {
        "captions": ["a small engine running", "a heart beating"],
        "own_anchors": ["x"],
    }
    assert (
        read_known_embeddings(pruned / KNOWN_EMBEDDINGS, ["a small engine running", "a heart beating"])
        is not None
    )
    pruned_index = json.loads((pruned / "model_index.json").read_text())
    assert (pruned_index["anchor_weight"], pruned_index["bare_anchor_weight"]) == (0.5, 0.85)
    recorded = json.loads((pruned / RECORD).read_text())["anchoring"]["known_captions_sha256"]
    assert recorded == hashlib.sha256((pruned / KNOWN_CAPTIONS).read_bytes()).hexdigest()
    assert json.loads((model / KNOWN_CAPTIONS).read_text()) == listed
    assert (model / KNOWN_EMBEDDINGS).read_bytes() == b"stale"
    with pytest.raises(ValueError, match="exists"):
        quality_tool.prune_into(model, quality, tmp_path / "pruned")
    # with alias: the dropped anchor stays listed for matching, aliased to its class's kept anchor
    assert quality_tool.prune_into(model, quality, tmp_path / "aliased", alias=True) == (3, 2)
    aliased = json.loads((tmp_path / "aliased" / KNOWN_CAPTIONS).read_text())
    assert aliased["captions"] == listed["captions"]
    assert aliased["aliases"] == {"a diesel engine idling": "a small engine running"}
    assert "--alias" in json.loads((tmp_path / "aliased" / RECORD).read_text())["anchoring"]["command"]
    # an anchor this run did not judge keeps its listed alias; where that alias is dropped, the dropped one's new
    # alias stands for it, and with none it leaves the list with it
    chained = {**listed, "captions": [*listed["captions"], "an engine ticking over"]}
    (model / KNOWN_CAPTIONS).write_text(
        json.dumps({**chained, "aliases": {"an engine ticking over": "a diesel engine idling"}})
    )
    assert quality_tool.prune_into(model, quality, tmp_path / "followed", alias=True) == (3, 2)
    followed = json.loads((tmp_path / "followed" / KNOWN_CAPTIONS).read_text())
    assert followed["aliases"] == {
        "a diesel engine idling": "a small engine running",
        "an engine ticking over": "a small engine running",
    }
    assert quality_tool.prune_into(model, quality, tmp_path / "unaliased") == (3, 2)
    unaliased = json.loads((tmp_path / "unaliased" / KNOWN_CAPTIONS).read_text())
    assert unaliased["captions"] == ["a small engine running", "a heart beating"]
    assert "aliases" not in unaliased or not unaliased["aliases"]
    steps = ["slow steps on gravel", "running on gravel", "steps on gravel", "gravel steps far away"]
    walks = {"label": "footsteps_gravel", "recognised": 1, "events": [7, 6]}
    steps_quality = {"anchors": {c: dict(walks) for c in steps}}
    unit = np.eye(4, dtype=np.float32)
    assert quality_tool.aliases_for({steps[0]}, steps_quality, steps, unit + unit[[2]]) == {
        steps[0]: steps[2]
    }, "the nearest kept one that states no other speed"
    assert quality_tool.aliases_for({steps[2]}, steps_quality, steps, unit + unit[[3]]) == {}, (
        "each other one states a speed or asks for a distance the dropped one did not"
    )
    assert quality_tool.aliases_for({steps[1]}, steps_quality, steps[:2], unit[:2]) == {}, "none states it"
    # a walk is aliased to a walk: the nearest kept anchor whose takes are single steps is passed over
    walk_or_step = ["footsteps on rock", "a step on rock", "steps on stone"]
    step_quality = {
        "anchors": {
            "footsteps on rock": dict(walks),
            "a step on rock": dict(walks, events=[1, 2]),
            "steps on stone": dict(walks, events=[3, 4]),
        }
    }
    nearest_is_one_step = np.array([[1, 0, 0], [0.9, 0.1, 0], [0.5, 0, 0.5]], dtype=np.float32)
    assert quality_tool.aliases_for(
        {"footsteps on rock"}, step_quality, walk_or_step, nearest_is_one_step
    ) == {"footsteps on rock": "steps on stone"}
    step_quality["anchors"]["steps on stone"]["events"] = [1, 1]
    assert quality_tool.aliases_for({"a step on rock"}, step_quality, walk_or_step, nearest_is_one_step) == {
        "a step on rock": "steps on stone"
    }, "a single step for a single step"
    del step_quality["anchors"]["steps on stone"]["events"]
    with pytest.raises(ValueError, match="events were not counted"):
        quality_tool.aliases_for({"a step on rock"}, step_quality, walk_or_step, nearest_is_one_step)
    engines = {"label": "engine_idle", "recognised": 1}  # no sequence class: events not needed
    assert quality_tool.aliases_for(
        {"an engine"},
        {"anchors": {"an engine": engines, "a motor": engines}},
        ["an engine", "a motor"],
        unit[:2, :2],
    ) == {"an engine": "a motor"}
    # events counted in a take: a walk of six steps, one step, a steady noise
    rate = 24_000
    rng = np.random.default_rng(0)
    step = rng.standard_normal(rate // 20) * np.exp(-np.arange(rate // 20) / 200)
    walk = np.zeros(4 * rate)
    for start in np.arange(6) * int(0.6 * rate) + rate // 10:
        walk[start : start + len(step)] += step
    assert quality_tool.count_events(walk, rate) == 6
    assert quality_tool.count_events(walk[: rate // 2], rate) == 1
    assert quality_tool.count_events(np.concatenate([step, np.zeros(3 * rate)]), rate) == 1, (
        "one at the start"
    )
    assert quality_tool.count_events(0.1 * rng.standard_normal(4 * rate), rate) <= 1
    assert quality_tool.count_events(np.zeros(10), rate) == 0
    # a second look pooled: 1 of 4 is dropped at --drop-at-most 1, but never a class's last anchors
    fresh = {
        "anchors": {
            "a diesel engine idling": {"label": "engine_idle", "recognised": 1, "takes": 2},
            "a small engine running": {"label": "engine_idle", "recognised": 0, "takes": 2},
            "a door slams": {"label": "door_slam", "recognised": 0, "takes": 2},
        }
    }
    both = quality_tool.pooled(fresh, [quality])
    assert both["anchors"]["a small engine running"] | {"heard_as": []} == {
        "label": "engine_idle",
        "recognised": 1,
        "takes": 4,
        "heard_as": [],
    }
    assert both["anchors"]["a door slams"]["takes"] == 2, "an anchor the earlier run lacks keeps its own"
    assert quality_tool.unrecognised(both, at_most=1) == set(), "each class keeps its best"
    fresh["anchors"]["a diesel engine idling"]["recognised"] = 2
    assert quality_tool.unrecognised(quality_tool.pooled(fresh, [quality]), at_most=1) == {
        "a small engine running"
    }
    assert (
        quality_tool.main(
            [
                "bundled",
                "--corpus",
                str(tmp_path),
                "--json",
                str(tmp_path / "q.json"),
                "--pool",
                str(tmp_path / "missing.json"),
            ]
        )
        == 2
    )


def test_anchor_quality_judges_each_listed_anchor_by_its_own_takes(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    """bench/anchor_quality.py end to end on a tiny model and corpus: each listed anchor of a judged class
    gets its takes (the anchor as the prompt), the judge's verdict on each, and the events in each; the
    pruned copy's list keeps every anchor it does not drop, and aliases only dropped ones."""
    import shutil

    from foleykit.pipelines.foley.pipeline_foley import KNOWN_CAPTIONS

    quality_tool = bench_module("anchor_quality")
    corpus = write_corpus(tmp_path / "corpus", RATE)
    model = tmp_path / "model"
    shutil.copytree(tiny_bundled_dir, model)
    listed = ["a bell", "bell", "a rain", "a door knock", "door knock", "a whale song"]
    (model / KNOWN_CAPTIONS).write_text(json.dumps({"captions": listed}))
    out, pruned = tmp_path / "quality.json", tmp_path / "pruned"
    argv = [
        str(model),
        "--corpus",
        str(corpus),
        "--json",
        str(out),
        "--takes",
        "1",
        "--prune-into",
        str(pruned),
    ]
    assert quality_tool.main([*argv, "--alias"]) == 0
    quality = json.loads(out.read_text())
    rows = quality["anchors"]
    assert sorted(rows) == sorted(listed[:5]), "an anchor of no judged class gets no takes"
    assert quality["listed"] == 6 and quality["takes"] == 1
    for anchor, row in rows.items():
        assert row["label"] == anchor.removeprefix("a ").replace(" ", "_")
        assert row["takes"] == 1 and row["recognised"] in (0, 1) and len(row["heard_as"]) == 1
        assert len(row["events"]) == 1 and all(isinstance(n, int) and n >= 0 for n in row["events"])
    written = json.loads((pruned / KNOWN_CAPTIONS).read_text())
    kept = set(written["captions"])
    assert "a whale song" in kept, "an anchor of no judged class is kept"
    assert kept | quality_tool.unrecognised(quality) >= set(listed)
    assert set(written.get("aliases", {})) <= quality_tool.unrecognised(quality)


def test_anchor_quality_judges_only_the_classes_asked_and_keeps_the_other_aliases(
    tmp_path: Path,
    tiny_bundled_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """bench/anchor_quality.py --classes: only those classes' anchors get takes, rendered with the list's aliases
    set aside (an aliased anchor is heard as itself); an anchor of another class keeps its listed alias; a class
    the corpus cannot judge, or one with no anchor listed, is one line and exit 2, with nothing written."""
    import shutil

    from foleykit.engine import Engine
    from foleykit.pipelines.foley.pipeline_foley import KNOWN_CAPTIONS

    quality_tool = bench_module("anchor_quality")
    corpus = write_corpus(tmp_path / "corpus", RATE)
    model = tmp_path / "model"
    shutil.copytree(tiny_bundled_dir, model)
    listed = ["a bell", "bell", "a rain", "a door knock", "door knock"]
    aliases = {"a bell": "bell", "a door knock": "door knock"}
    (model / KNOWN_CAPTIONS).write_text(json.dumps({"captions": listed, "aliases": aliases}))
    rendered_with: list[tuple[list[str], dict[str, str]]] = []
    render = Engine.render_prompts

    def watched(self: Engine, prompts: list[str], *args: object, **kwargs: object) -> list[np.ndarray]:
        pipe = self.backend.pipe
        rendered_with.append((pipe.prompt_anchors(prompts, pipe.device), dict(pipe.anchor_aliases)))
        return render(self, prompts, *args, **kwargs)

    monkeypatch.setattr(Engine, "render_prompts", watched)
    out, pruned = tmp_path / "quality.json", tmp_path / "pruned"
    argv = [str(model), "--corpus", str(corpus), "--json", str(out), "--takes", "1"]
    assert quality_tool.main([*argv, "--classes", "bell, rain", "--prune-into", str(pruned), "--alias"]) == 0
    quality = json.loads(out.read_text())
    assert sorted(quality["anchors"]) == ["a bell", "a rain", "bell"]
    assert quality["classes"] == ["bell", "rain"] and quality["aliases_set_aside"] is True
    assert rendered_with == [(["a bell", "bell", "a rain"], {})], "each anchor its own, no alias in force"
    written = json.loads((pruned / KNOWN_CAPTIONS).read_text())
    assert written["aliases"]["a door knock"] == "door knock", "an anchor not judged keeps its alias"
    # "a bell" keeps its listed alias only if this run drops it again (the tiny model's takes decide)
    judged_aliases = {a: b for a, b in written["aliases"].items() if a in quality["anchors"]}
    assert set(judged_aliases) <= quality_tool.unrecognised(quality), "a judged anchor's alias is this run's"
    assert {"door knock", "a door knock"} <= set(written["captions"])

    capsys.readouterr()
    for asked, named in (("bell,whale_song", "whale_song"), ("door_knock", "door_knock")):
        taken = tmp_path / f"again_{named}.json"
        bad = [str(model), "--corpus", str(corpus), "--json", str(taken), "--classes", asked]
        (model / KNOWN_CAPTIONS).write_text(json.dumps({"captions": ["a bell", "a rain"]}))
        assert quality_tool.main(bad) == 2 and not taken.exists()
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and named in err[0], err


def test_synth_realism_judges_synthesised_clips_by_class_and_room(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench/synth_realism.py: each asked class's clips judged against the corpus's centroids, counted by the room
    each was placed in (the rooms' counts add up, what each was heard as too) and by whether the caption names no
    room, the table printed; a class the corpus cannot judge is one line and exit 2, with no results written."""
    realism = bench_module("synth_realism")
    corpus = write_corpus(tmp_path / "corpus", RATE)
    out = tmp_path / "realism.json"
    argv = ["--corpus", str(corpus), "--json", str(out), "--clips", "4"]
    assert realism.main([*argv, "--classes", "bell,rain"]) == 0
    result = json.loads(out.read_text())
    assert sorted(result["classes"]) == ["bell", "rain"] and result["clips_per_class"] == 4
    assert result["asked"] == ["bell", "rain"] and result["sample_rate"] == 24000
    for label, row in result["classes"].items():
        rooms = row["rooms"].values()
        assert sum(room["clips"] for room in rooms) == 4
        assert row["recognised"] == sum(room["recognised"] for room in rooms)
        for room in rooms:
            assert sum(room["heard_as"].values()) == room["clips"]
            assert room["recognised"] == room["heard_as"].get(label, 0)
    assert set(result["classes"]["rain"]["rooms"]) == {"outdoors"}, "rain is synthesised outdoors only"
    # the clips whose caption names no room, which a prompt without a room learns from: for bell, the dry ones
    for label, row in result["classes"].items():
        made = [synthesize(label, realism.FIRST_SEED + i, 4.0, 24000) for i in range(4)]
        plain = [clip for clip in made if room_named(clip.caption) is None]
        assert row["no_room_named"]["clips"] == len(plain)
        assert 0 <= row["no_room_named"]["recognised"] <= min(len(plain), row["recognised"])
        if label == "bell":
            assert all(clip.params["room"] == "outdoors" for clip in plain)
    assert realism.table(result).count("\n") == 3
    capsys.readouterr()
    missing = tmp_path / "again.json"
    bad = ["--corpus", str(corpus), "--json", str(missing), "--classes", "bell,whale_song"]
    assert realism.main(bad) == 2 and not missing.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "whale_song" in err[0] and "bell" in err[0], err


def test_anchor_changes_counts_prompts_that_leave_their_class(tmp_path: Path) -> None:
    """bench/anchor_changes.py: a changed anchor counts as a crossing only when the prompt's anchor was its own
    class's caption before and is not after; a bad prompt file is one line and exit 2."""
    tool = bench_module("anchor_changes")
    classes = {"concrete steps": "footsteps_concrete", "wood steps": "footsteps_wood", "a slam": "door_slam"}
    labels = ["footsteps_concrete", "footsteps_concrete", "door_slam", "door_slam"]
    before = ["concrete steps", "concrete steps", "wood steps", "a slam"]
    after = ["wood steps", "concrete steps", "a slam", "a knock"]
    changed, crossed, away = tool.crossings(labels, before, after, classes)
    assert changed == [0, 2, 3]
    assert dict(crossed) == {"footsteps_concrete → footsteps_wood": 1, "door_slam → None": 1}
    assert away == [1, 2]
    from tests.corpora import write_corpus

    corpus = write_corpus(tmp_path / "corpus", classes=("rain", "wind"))
    read = tool.caption_classes(corpus)
    assert set(read.values()) >= {"rain", "wind"} and all(read[c] == "rain" for c in read if "rain" in c)
    bad = tmp_path / "prompts.tsv"
    bad.write_text("no tab here\n")
    argv = ["bundled", "bundled", "--corpus", str(tmp_path), "--prompts"]
    assert tool.main([*argv, str(bad)]) == 2
    assert tool.main([*argv, str(tmp_path / "missing.tsv")]) == 2


def test_counts_bench_reads_steps_as_the_pipeline_does_and_sums_exact_counts() -> None:
    """bench/counts.py: a step's peaks within 0.25 s are one event where the prompt asks for steps (as the
    pipeline counts them); the summary counts the takes holding their count, the mean miss, and the judged
    classes' recognised takes (uncounted prompts left out)."""
    counts_bench = bench_module("counts")
    times = [0.1, 0.26, 0.8, 0.95, 1.5]
    assert len(counts_bench.event_starts(times, steps=False)) == 5
    assert len(counts_bench.event_starts(times, steps=True)) == 3
    run = {
        "prompts": [
            {"count": 3, "events": [3, 4, 1, 3], "likeness": [0.5, 0.7, None, 0.6]},
            {"count": 2, "events": [2, 2, 2, 6], "whole": 3},  # stored before likeness was read
            {"count": None, "events": [9, 9, 9, 9], "whole": 4, "likeness": [1.0, 1.0, 1.0, 1.0]},
        ]
    }
    assert counts_bench.summary(run, takes=4) == {
        "takes": 8, "exact": 5, "off": 0.875, "judged_takes": 4, "whole": 3, "likeness": 0.6,
    }  # fmt: skip
    # likeness: the same hit again reads 1.0 at any level; a hit and a different one less; one event: None
    rate = 8000
    rng = np.random.default_rng(0)
    hit = np.exp(-np.arange(800) / 80.0) * rng.standard_normal(800)
    other = np.exp(-np.arange(800) / 80.0) * rng.standard_normal(800)
    take = np.zeros(rate)
    for at, event in ((1000, hit), (4000, 0.5 * hit), (6000, other)):
        take[at + 80 : at + 880] += event
    same = counts_bench.event_likeness(take, rate, [0.135, 0.51])
    assert same == pytest.approx(1.0, abs=1e-3)
    assert counts_bench.event_likeness(take, rate, [0.135, 0.76]) < 0.5
    assert counts_bench.event_likeness(take, rate, [0.135]) is None
    assert counts_bench.event_likeness(take, rate, [0.135, 0.2]) is None, "overlapping windows: no pair"
    assert counts_bench.event_starts([0.1, 0.26, 0.8, 0.95], steps=True) == pytest.approx([0.1, 0.8])
    assert (
        counts_bench.summary({"prompts": [{"count": 2, "events": [2], "likeness": [None]}]}, 1)["likeness"]
        is None
    )


def test_class_probe_judges_each_recording_against_centroids_made_without_it() -> None:
    """bench/class_probe.py: each recording is judged as `foleykit eval` judges a take, against centroids made
    as eval makes them (the mean of the raw embeddings), its own class's without it."""
    from foleykit.evaluation.judged import _unit_mean, nearest_centroid

    probe = bench_module("class_probe")
    # between two classes: in its own class only because it is in it
    rows = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.1], [0.0, 1.0, 0.0], [0.6, 0.5, 0.0]])
    labels = np.array([0, 0, 1, 1])
    assert probe.leave_one_out_heard(rows, labels, np.arange(4), 2).tolist() == [0, 0, 1, 0]
    # a long embedding weighs more in its class's mean, as in eval (rows normalised first would say 0)
    long = np.array([[10.0, 0.0], [0.0, 1.0], [1.0, 0.3], [0.0, 1.0]])
    assert probe.leave_one_out_heard(long, labels, np.array([3]), 2).tolist() == [1]
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(12, 5)) * rng.uniform(0.1, 10, (12, 1))
    labels = np.arange(12) % 3
    rows_kept = np.arange(12)
    expected = [
        int(
            nearest_centroid(
                rows[i : i + 1],
                np.stack([_unit_mean(rows[(labels == c) & (rows_kept != i)]) for c in range(3)]),
            )[0]
        )
        for i in range(12)
    ]
    assert probe.leave_one_out_heard(rows, labels, np.arange(12), 3).tolist() == expected
    # a class's only recording: no centroid of its class is left without it (not a verdict of another class)
    assert probe.leave_one_out_heard(rows[:4], np.array([0, 0, 0, 1]), np.array([3]), 2).tolist() == [-1]
