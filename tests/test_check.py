"""Check stage: each check catches its case and passes the author's English; none crashes."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.check import (
    PLAIN_CHECKS,
    AcronymUsage,
    acronyms_kept,
    check_glossary,
    check_truncated,
    expected_length,
    misspelling,
    name_severity,
    needs_repair,
    problems_for_repair,
    rendering_pattern,
    run_checks,
    spelled_out,
)
from pipeline.digest import parse_digest
from pipeline.entry import ERROR, WARNING, Finding
from pipeline.glossary import load_glossary, parse_glossary
from pipeline.translate import SYSTEM_PROMPT
from scripts.calibrate import calibrate, errors_besides_url, load_notes, split_notes
from tests.conftest import CORPUS, FORMAT_SAMPLE, REPO

GLOSSARY = load_glossary(REPO / "glossary.yaml")

KO = "Reward에 노이즈를 추가하는 것으로 강화학습 속도를 2배 가속시킬 수 있다는 연구 (https://arxiv.org/abs/2506.08737). Qwen2.5-32B 기준 10% 향상."
GOOD = (
    "Adding noise to the reward can make reinforcement learning 2x faster "
    "(https://arxiv.org/abs/2506.08737). A 10% gain on Qwen2.5-32B."
)


def errors(korean: str, english: str) -> set[str]:
    return {f.check for f in run_checks(korean, english, GLOSSARY) if f.is_error}


def warnings(korean: str, english: str) -> set[str]:
    return {f.check for f in run_checks(korean, english, GLOSSARY) if not f.is_error}


def test_a_good_translation_passes() -> None:
    assert run_checks(KO, GOOD, GLOSSARY) == []


@pytest.mark.parametrize(
    ("english", "check"),
    [
        (GOOD.replace("noise", "노이즈"), "hangul"),
        ("", "empty"),
        (KO, "untranslated"),
        ("Note: " + GOOD, "chatter"),
        (GOOD + " (Translation note: I kept the URL.)", "chatter"),
        ("Here is the translation: " + GOOD, "chatter"),
        (f'"{GOOD}"', "chatter"),
        ("```\n" + GOOD + "\n```", "chatter"),
        ("I'm sorry, but I can't help with that. " + GOOD, "non-answer"),
        (
            GOOD.replace("https://arxiv.org/abs/2506.08737", "https://arxiv.org/abs/2506.08738"),
            "url",
        ),
        (GOOD.replace(" (https://arxiv.org/abs/2506.08737)", ""), "url"),
        (GOOD.replace("10%", "a big"), "number"),
        (GOOD.replace("10%", "15%"), "number"),
        (GOOD.replace("2x", "much"), "number"),
        (GOOD.replace("reinforcement learning", "reinforced learning"), "avoid"),
        (GOOD.replace("reinforcement learning", "training"), "glossary"),  # strict term
        (GOOD.replace("Qwen2.5-32B", "Qwen"), "names"),
        ("OK.", "length"),
        (GOOD[: GOOD.index(" can make")], "truncated"),
    ],
)
def test_each_check_catches_its_case(english: str, check: str) -> None:
    assert check in errors(KO, english)


@pytest.mark.parametrize(
    "english",
    [
        GOOD.replace("2x faster", "twice as fast"),
        GOOD.replace("2x", "2×"),
        GOOD.replace("10%", "10 percent"),
        GOOD.replace("reinforcement learning", "RL"),
        GOOD.replace("reinforcement learning", "RLHF"),  # the RL of RLHF
        GOOD.replace("reward", "Rewards"),
        GOOD.replace("Qwen2.5-32B", "qwen2.5-32b"),
        GOOD.replace("Qwen2.5-32B", "Qwen 2.5 32B"),
        GOOD.rstrip("."),  # the author often leaves out the final period
    ],
)
def test_usual_renderings_pass(english: str) -> None:
    assert errors(KO, english) == set()


# -- the glossary: severity from the entry, generic loosening -----------------------------------
def test_a_missed_rendering_is_a_warning_unless_the_term_is_strict() -> None:
    glossary = parse_glossary(
        "terms:\n  인식: [recognition, perception]\n"
        "  보상 모델:\n    en: reward model\n    strict: true\n",
        "g.yaml",
    )
    korean = "보상 모델로 이미지 인식을 평가."
    findings = check_glossary(
        korean, "Scoring image understanding with an RM.", glossary.find(korean)
    )
    assert [(f.check, f.severity) for f in findings] == [("glossary", WARNING)]
    findings = check_glossary(
        korean, "Scoring image recognition with a judge.", glossary.find(korean)
    )
    assert [(f.check, f.severity) for f in findings] == [("glossary", ERROR)]
    assert "'보상 모델' must be rendered as 'reward model'" in findings[0].message


def test_an_avoided_rendering_is_an_error_and_only_as_written() -> None:
    glossary = parse_glossary(
        "terms:\n  리더보드:\n    en: leaderboard\n    avoid: [ranking, reinforced learning]\n",
        "g.yaml",
    )
    korean = "리더보드 1위."
    found = check_glossary(korean, "First in the rankings.", glossary.find(korean))
    assert {(f.check, f.severity) for f in found} == {("avoid", ERROR), ("glossary", WARNING)}
    assert "'ranking'" in next(f.message for f in found if f.check == "avoid")
    # avoiding 'reinforced learning' does not catch its right neighbour
    found = check_glossary(
        korean, "Top of the leaderboard with reinforcement learning.", glossary.find(korean)
    )
    assert found == []


@pytest.mark.parametrize(
    ("rendering", "text"),
    [
        ("pre-training", "pretraining"),
        ("pre-training", "pre training"),
        ("pre-training", "Pre-Training"),
        ("pre-training", "pre-trained"),
        ("pre-training", "pretrain's"),
        ("policy", "policies"),
        ("encode", "encoding"),
        ("reward model", "reward-models'"),
        ("parallelism", "parallelizable"),  # -ize, -able
        ("parallelization", "parallelize"),
        ("sparse", "sparsity"),  # -ity
        ("regularization", "regularized"),
        ("weight", "reweighting"),  # re-
        ("stable", "unstable"),  # un-
        ("verification", "verified"),
        ("hallucination", "hallucinated"),
        ("infer", "inferred"),
        ("architecture", "architectural"),
    ],
)
def test_renderings_match_their_word_family(rendering: str, text: str) -> None:
    assert rendering_pattern(rendering).search(text), (rendering, text)


@pytest.mark.parametrize(
    ("rendering", "text"),
    [("reward", "rewardless"), ("token", "tokyo"), ("loss", "lost"), ("head", "ahead")],
)
def test_renderings_do_not_match_other_words(rendering: str, text: str) -> None:
    assert not rendering_pattern(rendering).search(text), (rendering, text)


def test_typos_of_terms_are_warnings_not_errors() -> None:
    glossary = parse_glossary("terms:\n  라우터: router\n", "g.yaml")
    findings = check_glossary(
        "MoE의 라우터를 교체.",
        "Replacing the routher of MoE.",
        glossary.find("MoE의 라우터를 교체."),
    )
    assert [(f.check, f.severity) for f in findings] == [("spelling", WARNING)]
    assert misspelling("the heruistic filter", "heuristic") == "heruistic"
    assert misspelling("the reward", "router") is None


# -- names and keep terms -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Qwen2.5-32B", "DeepSeekMoE", "GPT-4", "LoRA", "1B"])
def test_a_missing_name_is_an_error(name: str) -> None:
    korean = f"{name} 기반의 간단한 방법."
    findings = run_checks(korean, "A simple method based on it.", GLOSSARY)
    assert [(f.check, f.severity) for f in findings if f.check in ("names", "keep")] == [
        ("keep" if name == "LoRA" else "names", "error")
    ]


@pytest.mark.parametrize("acronym", ["GRPO", "NSA", "GQA", "JVP", "EPD", "SOAP", "TTT", "FFN"])
def test_a_missing_acronym_the_author_keeps_is_an_error(acronym: str) -> None:
    """Unknown to his history (or kept in every note of it): most likely the paper's method."""
    korean = f"{acronym}의 간단한 변형."
    findings = run_checks(korean, "A simple variant of the method.", GLOSSARY)
    assert ERROR in {f.severity for f in findings if f.check in ("names", "keep")}, findings


@pytest.mark.parametrize("acronym", ["LLM", "PCA"])
def test_a_missing_acronym_the_author_often_writes_otherwise_is_a_warning(acronym: str) -> None:
    """LLM (kept in 8 of 9 notes of the shipped prior) and PCA (0 of 1) are generic."""
    korean = f"{acronym}의 간단한 변형."
    findings = run_checks(korean, "A simple variant.", GLOSSARY)
    assert findings and all(not f.is_error for f in findings)
    assert {f.check for f in findings} <= {"names", "keep", "glossary"}


def test_his_history_decides_whether_a_lost_acronym_is_an_error() -> None:
    korean = "FFN 대신 GQA를 사용."
    english = "Uses another attention instead of the feed-forward layer."
    assert name_severity("GQA") == ERROR  # a new user: never seen, so a method's name
    often_dropped = AcronymUsage({"GQA": (20, 18)})  # 90% kept: he writes it another way
    assert name_severity("GQA", often_dropped) == WARNING
    assert name_severity("GQAs", often_dropped) == WARNING  # one key for the plural
    always_kept = AcronymUsage({"GQA": (20, 19)})  # 95%: his usage
    assert name_severity("GQA", always_kept) == ERROR
    # the history wins over the shipped prior (LLM: 8 of 9 there)
    assert name_severity("LLM", AcronymUsage({"LLM": (40, 40)})) == ERROR
    assert name_severity("LLM") == WARNING
    # names are errors whatever the history says
    assert name_severity("RoPE", AcronymUsage({"ROPE": (5, 0)})) == ERROR
    findings = run_checks(korean, english, GLOSSARY, often_dropped)
    assert {(f.check, f.severity) for f in findings if "GQA" in f.message} == {("names", WARNING)}
    assert "(you keep it in 18 of 20 notes)" in next(
        f.message for f in findings if "GQA" in f.message
    )


def test_the_history_is_read_once_and_only_when_an_acronym_is_missing() -> None:
    reads = []

    def load() -> dict[str, tuple[int, int]]:
        reads.append(1)
        return {"GQA": (10, 1)}

    usage = AcronymUsage(load=load)
    assert run_checks("GQA를 사용.", "Uses GQA.", GLOSSARY, usage) == []
    assert reads == []
    for _ in range(3):
        found = run_checks("GQA를 사용.", "Uses grouped heads.", GLOSSARY, usage)
        assert [f.severity for f in found if f.check == "names"] == [WARNING]
    assert reads == [1]


@pytest.mark.parametrize(
    ("korean", "english"),
    [
        ("RoPE를 개선.", "Improves the method."),
        ("MoE 구조.", "The method's architecture."),
        ("xLSTM 기반.", "Based on the method."),
        ("CTran 기반.", "Based on the method."),
        ("DeepSeekMoE 구조.", "The DeepSeekthe method architecture."),
        (
            "Constitutional AI 방식.",
            "A Constitutional the method style RLAIF method.",
        ),  # AI in RLAIF
        ("LR 스케일링.", "Scaling law with respect to the method."),  # not "l(aw) r(espect)"
    ],
)
def test_a_name_replaced_by_the_method_is_an_error(korean: str, english: str) -> None:
    assert errors(korean, english) & {"names", "keep"}, run_checks(korean, english, GLOSSARY)


def test_acronyms_kept_is_what_the_history_learns() -> None:
    korean = "LLM과 GQA, 그리고 LLMs. RoPE는 이름."
    assert acronyms_kept(korean, "LLMs with grouped-query attention.") == {
        "LLM": True,
        "GQA": False,
    }
    assert acronyms_kept(korean, "(https://x.org/GQA) language models") == {
        "LLM": False,
        "GQA": False,
    }


@pytest.mark.parametrize(
    ("korean", "english"),
    [
        ("GT를 그대로 사용.", "Uses the ground truth as is."),
        ("LoRA로 학습.", "Trained with low-rank adaptation."),
        ("MoE 모델.", "A mixture-of-experts model."),
        ("CoT 없이.", "Without chain of thought."),
        ("isoFLOPs 분석. FLOPs 기준.", "An isoFLOPs analysis."),  # inside a longer word
        ("DeepSeekMoE 구조.", "The DeepSeek MoE architecture."),
        ("10K 샘플.", "10,000 samples."),
        ("8x7B MoE.", "An 8×7B MoE."),
    ],
)
def test_names_spelled_out_or_embedded_pass(korean: str, english: str) -> None:
    assert errors(korean, english) == set()


def test_a_name_only_in_a_url_or_read_into_words_is_missing() -> None:
    korean = "ReRoPE가 생각나네요. (https://github.com/bojone/rerope)"
    assert "names" in errors(korean, "It reminds me of (https://github.com/bojone/rerope).")
    # a CamelCase name is a name, not an acronym to spell out
    assert not spelled_out("flexible attention masks", "FlexAttention")
    assert "names" in errors("FlexAttention과 비슷.", "Similar to flexible attention.")


def test_ordinary_capitalised_words_may_change() -> None:
    korean = "Discrete한 Reward 대신 RLVR을 사용."
    assert errors(korean, "Using RLVR instead of discrete rewards.") == set()
    # RLVR, a keep word, is judged like any acronym: an error unless he often writes it out
    assert errors(korean, "Using verifiable rewards instead of discrete rewards.") == {"keep"}
    usage = AcronymUsage({"RLVR": (10, 5)})
    found = run_checks(
        korean, "Using verifiable rewards instead of discrete rewards.", GLOSSARY, usage
    )
    assert {(f.check, f.severity) for f in found} == {("keep", WARNING)}


# -- numbers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("korean", "english"),
    [
        ("1만 개의 샘플로 학습.", "Trained on 10K samples."),
        ("1만 개의 샘플로 학습.", "Trained on 10,000 samples."),
        ("1.8만 개.", "18 thousand of them."),
        ("40억 파라미터.", "A 4B-parameter model."),
        ("3월에 공개된 모델이 1위를 했네요.", "The model released in March ranked first."),
        ("3월에 공개된 모델이 1위를 했네요.", "Released in Mar., it took the top spot."),
        ("SOTA 1위.", "Ranked first, the state of the art."),
        ("2위.", "Second place."),
        ("'24년 논문.", "A 2024 paper."),
        ("1000개의 예제.", "A thousand examples."),
        ("2개의 모델.", "Both models."),
        ("10% 향상, 10% 감소.", "A 10% gain and a 10% drop."),
        ("2^32 크기.", "A 2³² vocabulary."),
        ("2^32 크기.", "2 ** 32 codes."),
    ],
)
def test_numbers_pass_in_their_other_forms(korean: str, english: str) -> None:
    assert "number" not in errors(korean, english)


@pytest.mark.parametrize(
    ("korean", "english", "message"),
    [
        (
            "10% 향상, 10% 감소.",
            "A 10% gain and a drop.",
            "number 10% occurs 2 times in the Korean but 1 in the English",
        ),
        ("3월에 공개.", "Released in May.", "number 3월 is missing from the English"),
        ("1위.", "Ranked third.", "number 1위 is missing from the English"),
        ("1만 개.", "Ten of them.", "number 1만 is missing from the English"),
        ("2^32 크기.", "A huge vocabulary.", "number 2^32 is missing from the English"),
    ],
)
def test_numbers_lost_or_changed(korean: str, english: str, message: str) -> None:
    findings = run_checks(korean, english, GLOSSARY)
    assert [f.message for f in findings if f.check == "number"] == [message]


@pytest.mark.parametrize(
    ("korean", "english", "messages"),
    [
        # the misses: numbers inside names, and a number the English adds
        (
            "Qwen 2 VL 2B 모델.",
            "The Qwen 5 VL 2B model.",
            ["number 2 is missing from the English", "number 5 is not in the Korean"],
        ),
        (
            "ZeRO-1/2/3 비교.",
            "Comparing ZeRO-4/2/3.",
            [
                "number 1 (in 'ZeRO-1/2/3') is missing from the English",
                "number 4 (in 'ZeRO-4/2/3') is not in the Korean",
            ],
        ),
        (
            "top-1 정확도.",
            "Top-4 accuracy.",
            [
                "number 1 (in 'top-1') is missing from the English",
                "number 4 (in 'Top-4') is not in the Korean",
            ],
        ),
        (
            "32x32x8 크기의 Latent.",
            "A 35x32x8 latent.",
            [
                "number 32 (in '32x32x8') occurs 2 times in the Korean but 1 in the English",
                "number 35 (in '35x32x8') is not in the Korean",
            ],
        ),
        (
            "2000 Iteration 학습.",
            "Trained for 2003 iterations.",
            ["number 2000 is missing from the English", "number 2003 is not in the Korean"],
        ),
        (
            "FP8 학습.",
            "FP16 training.",
            [
                "number 8 (in 'FP8') is missing from the English",
                "number 16 (in 'FP16') is not in the Korean",
            ],
        ),
        (
            "Qwen2.5 기반.",
            "Based on Qwen5.5.",
            [
                "number 2.5 (in 'Qwen2.5') is missing from the English",
                "number 5.5 (in 'Qwen5.5') is not in the Korean",
            ],
        ),
        ("새 모델.", "A new model, released in 2024.", ["number 2024 is not in the Korean"]),
        (
            "1B 모델.",
            "A 7B model.",
            ["number 1B is missing from the English", "number 7B is not in the Korean"],
        ),
    ],
)
def test_numbers_changed_dropped_or_added_anywhere(
    korean: str, english: str, messages: list[str]
) -> None:
    findings = [f for f in run_checks(korean, english, GLOSSARY) if f.check == "number"]
    assert [f.message for f in findings] == messages
    assert all(f.is_error for f in findings)


@pytest.mark.parametrize(
    ("korean", "english"),
    [
        ("15억 파라미터.", "1.5B parameters."),
        ("1.5B 파라미터.", "1.5 billion parameters."),
        ("3배 빨라짐.", "3x faster."),
        ("3배 빨라짐.", "Three times as fast."),
        ("3배 빨라짐.", "A threefold speed-up."),
        ("3배 빨라짐.", "A 3-fold speed-up."),
        ("두 가지 방법.", "2 methods."),
        ("2가지 방법.", "Two methods."),
        ("첫 번째 단계.", "The 1st step."),
        ("한두 개의 샘플.", "1 or 2 samples."),
        ("절반으로 줄임.", "Cut by 50%."),
        ("1~2% 향상.", "A 1-2% gain."),
        ("3-4배.", "3-4x."),
        ("RWKV-7 모델. RWKV-7은 빠르다.", "The RWKV-7 model. It is fast."),  # a name once
        ("2D 코드와 1D 코드.", "1D codes from 2D codes, then more 1D codes."),
        ("ICLR'24 논문.", "An ICLR 2024 paper."),
        ("10만 개.", "100K of them."),
        ("1e-4 학습률.", "A learning rate of 1e-4."),
    ],
)
def test_equivalent_spellings_of_numbers_pass(korean: str, english: str) -> None:
    assert [f for f in run_checks(korean, english, GLOSSARY) if f.check == "number"] == []


def test_a_bare_one_or_two_the_english_adds_is_a_warning() -> None:
    """English counts what Korean leaves uncounted ("1 or 2" for 여러 개, from his own notes)."""
    found = run_checks(
        "샘플을 여러 개 생성.", "Generate more samples rather than 1 or 2.", GLOSSARY
    )
    assert {(f.check, f.severity) for f in found} == {("number", WARNING)}
    assert "number" in errors("샘플을 여러 개 생성.", "Generate more than 3 samples.")
    assert "number" in errors("모델.", "The GPT-2 model.")  # in a name: an error


# -- chatter, non-answers, length ---------------------------------------------------------------
@pytest.mark.parametrize(
    "english",
    [
        "Sure! Here is the English version: " + GOOD,
        "Here's my translation of the comment:\n" + GOOD,
        "Translation: " + GOOD,
        GOOD + " Let me know if you'd like any changes!",
        GOOD + "\n\nI hope this helps!",
        GOOD + "\n\n(Note: I kept the technical terms in English.)",
        GOOD + " I kept the URL and the model name as written.",
        "‘" + GOOD + "’",
        "'" + GOOD + "'",
        "<think>translate it</think> " + GOOD,
    ],
)
def test_chatter_in_any_phrasing_is_an_error(english: str) -> None:
    assert "chatter" in errors(KO, english)


def test_a_reply_that_repeats_the_instructions_is_an_error() -> None:
    korean = " ".join([KO] * 4)  # long enough that the length alone does not tell
    english = " ".join([GOOD] * 4)
    assert errors(korean, english) == set()
    assert "chatter" in errors(korean, SYSTEM_PROMPT + "\n\n" + english)
    assert "chatter" in errors(korean, english + "\n\nGlossary for this comment:\n- 보상 -> reward")


@pytest.mark.parametrize(
    "english",
    [
        "I could not find the text to translate.",
        "I'm unable to translate this comment.",
        "As an AI language model, I cannot share opinions on papers.",
        "Could you please provide the Korean text?",
        "There is no comment to translate here.",
    ],
)
def test_non_answers_are_errors(english: str) -> None:
    assert "non-answer" in errors("재밌네요.", english)


@pytest.mark.parametrize(
    "english",
    [
        "I can't help but wonder whether it scales.",
        "I'm afraid this is overhyped. Still, a good read.",
        "I could not find details on the data in the paper.",
        "Here, the authors propose a version of DPO: simpler and faster.",
        "Good work; feel free to use the code.",
        'Works for "Image Experts" and "Text Experts" alike.',
        "As an AI researcher, I find this interesting.",
    ],
)
def test_the_authors_own_turns_of_phrase_are_not_chatter(english: str) -> None:
    korean = "좋은 연구입니다. 이미지와 텍스트 모두에 대한 연구네요. 흥미롭습니다."
    assert not errors(korean, english) & {"chatter", "non-answer"}


def test_a_short_comment_cannot_take_a_long_reply() -> None:
    assert "length" in errors("재밌네요.", "This is interesting. " * 30)  # 600 characters
    assert errors("재밌네요.", "Interesting.") == set()


def test_a_megabyte_reply_is_one_error_and_fast() -> None:
    reply = GOOD * (1_000_000 // len(GOOD))
    started = time.monotonic()
    findings = run_checks(KO, reply, GLOSSARY)
    elapsed = time.monotonic() - started
    assert [f.check for f in findings] == ["length"] and findings[0].is_error
    print(f"checks on a 1 MB reply: {elapsed * 1000:.1f} ms")
    # milliseconds here; the bound is generous enough for any load, not a benchmark
    assert elapsed < 5, f"checks on a 1 MB reply took {elapsed:.1f} s"


# -- truncation ---------------------------------------------------------------------------------
def test_an_english_cut_mid_sentence_is_an_error() -> None:
    korean = "보상 모델의 과적합 문제를 다룹니다. 해법으로 모델의 예측으로 레이블을 업데이트해나가는 방법을 제시했네요."
    full = "This paper tackles reward model overfitting. As a fix, it updates the labels with the model's predictions."
    assert "truncated" not in errors(korean, full)
    assert "truncated" not in errors(korean, full.rstrip("."))  # only the period missing
    for cut in (
        "This paper tackles reward model overfitting. As a fix, it updates the",
        "This paper tackles reward",
    ):
        assert [f.check for f in check_truncated(korean, cut, GLOSSARY)] == ["truncated"], cut


def test_a_comment_that_is_a_phrase_may_be_translated_as_one() -> None:
    assert (
        check_truncated(
            "Speculative Decoding에 대한 개선", "An improvement to speculative decoding"
        )
        == []
    )


def test_expected_length_counts_hangul_more_than_latin() -> None:
    assert expected_length("강화학습") > expected_length("RLHF")
    assert expected_length("https://arxiv.org/abs/2506.08737") == 0


# -- repair -------------------------------------------------------------------------------------
def test_repair_runs_on_errors_and_on_missed_renderings_only_errors_block() -> None:
    missed = Finding("glossary", WARNING, "'인식' is usually rendered as 'recognition'")
    error = Finding("number", ERROR, "number 10% is missing from the English")
    style = Finding("spacing", WARNING, "double space")
    assert not needs_repair([style])
    assert needs_repair([missed, style]) and not any(f.is_error for f in [missed, style])
    assert needs_repair([error])
    assert problems_for_repair([missed, error, style]) == [
        "glossary: '인식' is usually rendered as 'recognition'",
        "number: number 10% is missing from the English",
    ]


# -- the author's own English -------------------------------------------------------------------
# Every note of the corpus whose English raises an error, and why: each is a real problem in the
# author's English (the Korean says something his English leaves out), none a false alarm. A new
# note here is a false alarm a change introduced; a note leaving means a check went blind.
REAL_PROBLEMS_TUNING = {
    "2401.16335": {"url"},  # the Secrets of RLHF II link
    "2401.16405": {"url"},  # the LoRA + sparse weights paper
    "2401.17464": {"url", "number"},  # the LLM Compiler link; "20 + 35" written "25 + 35"
    "2402.00159": {"url"},  # the Dolma blog post
    "2402.00396": {"url"},  # the Epistemic Neural Networks paper
    "2402.03300": {"url"},  # MathShepherd
    "2402.03289": {"url"},  # the earlier MCTS decoding work
    "2402.05672": {"url"},  # the E5 synthetic data paper
    "2402.07871": {"url"},  # the MoE scaling law and DeepSeekMoE links
    "2402.07610": {"url"},  # Dromedary
}
REAL_PROBLEMS_HELD_OUT = {
    "2409.19606": {"url"},  # the cited arXiv link is left out
    "2410.12781": {"url"},  # the project page is left out
    "2411.08017": {"url", "names", "number"},  # the project page and "1B" are left out
    "2412.03069": {"url"},  # the BEiT v2 link
    "2412.12095": {"url"},  # the third of three cited links
    "2412.15188": {"url"},  # the Transfusion link
    "2412.04431": {"number"},  # the 2^32 vocabulary size
}


@pytest.mark.parametrize(
    ("part", "expected"), [(0, REAL_PROBLEMS_TUNING), (1, REAL_PROBLEMS_HELD_OUT)]
)
def test_on_the_authors_own_english_only_real_problems_are_errors(
    part: int, expected: dict[str, set[str]]
) -> None:
    """Calibration, split by time (scripts/calibrate.py prints the same figures)."""
    notes = split_notes(load_notes(CORPUS / "notes-2024.jsonl"))[part]
    report = calibrate(notes, GLOSSARY)
    failing = {note["id"]: {f.check for f in found} for note, found in report.failing}
    assert failing == expected
    assert report.notes == (41, 259)[part]


def test_held_out_notes_raising_an_error_besides_a_url_are_at_most_one_percent() -> None:
    _, held_out = split_notes(load_notes(CORPUS / "notes-2024.jsonl"))
    report = calibrate(held_out, GLOSSARY)
    share = report.failing_besides_url / report.notes
    print(f"held out: {report.failing_besides_url}/{report.notes} = {share:.1%}")
    assert share <= 0.01
    assert errors_besides_url([Finding("url", ERROR, "x")]) == []


def test_his_own_english_gets_no_length_warning() -> None:
    """Issue 27: the tuning notes and the shipped format sample (whose first entry, 43 Korean
    characters and "A PRM. They made it evaluate…", was warned about by a plain ratio)."""
    tuning, _ = split_notes(load_notes(CORPUS / "notes-2024.jsonl"))
    pairs = [(n["comment_ko"], n["comment_en"]) for n in tuning]
    pairs += [
        (e.comment_ko, e.comment_en)
        for e in parse_digest(FORMAT_SAMPLE.read_text("utf-8"))[0].entries
    ]
    warned = [
        ko[:30]
        for ko, en in pairs
        if any(f.check == "length" for f in run_checks(ko, en, GLOSSARY))
    ]
    assert warned == []
    # still: an essay for a short comment, a phrase for a long one
    korean = "보상 모델의 과적합 문제를 다룹니다. 해법으로 예측으로 레이블을 업데이트합니다."
    assert "length" in warnings(korean, "This paper tackles reward model overfitting. " * 6)
    assert "length" in warnings(korean, "Reward overfitting, fixed.")


def test_the_format_samples_first_three_entries_raise_no_error() -> None:
    day = parse_digest(FORMAT_SAMPLE.read_text(encoding="utf-8"))[0]
    entries = day.entries[:3]
    assert len(entries) == 3
    for entry in entries:
        assert errors(entry.comment_ko, entry.comment_en) == set(), entry.title


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_no_check_crashes_on_arbitrary_text(korean: str, english: str) -> None:
    for check in PLAIN_CHECKS:
        for finding in check(korean, english):
            assert finding.severity in (ERROR, WARNING)
    check_truncated(korean, english, GLOSSARY)
    run_checks(korean, english, GLOSSARY)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="0123456789.,^만억월위배% abcKMB가나", max_size=40),
    st.text(alphabet="0123456789.,^*xX×% kKMBthousandmillion", max_size=40),
)
def test_numbers_never_crash(korean: str, english: str) -> None:
    run_checks(korean, english, GLOSSARY)
