"""Wordings sellers really use (#16), as an independent check set found them missed: each class with claims of
its own kind and hard negatives in other voices (news, explainers, questions, lawful job ads and reminders). The
sentences were written for these tests."""
from __future__ import annotations

import pytest

from detector.detector import Detector
from tests.fixtures.detector import registry_csv, rules_detector  # noqa: F401  (pytest fixtures)


def labels(detector: Detector, text: str, title: str = "") -> set[str]:
    return set(detector.detect({"id": "t", "title": title, "text": text}).labels)


# 1. An agent's certificate lent in the trade's short names (专代证, dls证), hung at the firm with its seal and
# without the person (挂章, 出证不出人, 只要证不要人), in private chat or a job ad that wants the certificate only.
@pytest.mark.parametrize("text", [
    "收一个dls证挂我司，一年两万五，不用来上班，私我",
    "专代证挂章，出证不出人，年付3w，有意者滴滴",
    "急招专利代理师一名，只要证不要人，社保我们缴，年底结清",
    "兄弟你那个代理师证还空着没，挂我这边一年给你三万，人不用过来",
    "专代证出租，挂章不出人，每年结算一次",
    "诚聘专利代理师，有证即可，不限经验，可异地，年薪面议",
    "本所求一名dls，只挂章不上班，费用好商量",
])
def test_an_agents_certificate_lent_in_slang_is_qualification_lending(rules_detector: Detector, text: str) -> None:
    assert "qualification_lending" in labels(rules_detector, text)


@pytest.mark.parametrize("text", [
    "今年以来，已有三十七名代理师因挂证被注销执业证",
    "出证不出人的挂章行为属于违法，专利代理师应当在执业机构实际执业",
    "考过专代证以后，能不能只挂章不干活？律师提醒这是违规的",
    "某市开展清理挂证专项行动，二十余名专利代理师被暂停执业",
    "招聘专利代理师，要求持有专利代理师资格证，需坐班，五险一金",
    "专代证考下来后可以在代理机构执业，也可以在企业从事知识产权工作。",
    "兄弟你那个代理师证考下来没？考下来来我们所上班吧，待遇不错",
])
def test_news_explainers_questions_and_real_jobs_about_agent_certificates_lend_nothing(
        rules_detector: Detector, text: str) -> None:
    assert "qualification_lending" not in labels(rules_detector, text)
