"""The Python work behind every indexed lead: jieba words for word queries and near-duplicate signatures."""
from __future__ import annotations

import base64
import random

import jieba
import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from index import cluster
from index.text import words

AD = "国家知识产权局指定代理，内部渠道30天下证，包授权不过全额退款！加微信详谈 VX: ipagent2024"
REPOST = "【国家知识产权局 指定代理】内部渠道 30天下证～包授权，不过全额退款!!加微信详谈vx：ipagent2024"
OTHER = "专业商标注册、版权登记、软件著作权，全国服务，价格透明，欢迎咨询。"


def test_words_are_jiebas_full_mode_dictionary_words_plus_latin_and_digit_runs() -> None:
    expected = {w.lower() for w in jieba.cut(AD, cut_all=True) if len(w) > 1 and not w.isascii()}
    found = words(AD).split()
    assert {w for w in found if not w.isascii()} == expected
    assert {"知识产权局", "知识产权", "产权", "内部", "渠道"} <= set(found)
    assert {"30", "vx", "ipagent2024"} <= set(found)
    assert words("") == words(None) == ""


def edited_pairs(count: int) -> list[tuple[str, str]]:
    """Texts of 40-400 CJK characters, each with a copy in which up to half the characters were replaced."""
    rng = random.Random(5)
    alphabet = [chr(code) for code in range(0x4E00, 0x4E00 + 3000)]
    pairs = []
    for _ in range(count):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(40, 400)))
        share = rng.random() / 2
        pairs.append((text, "".join(rng.choice(alphabet) if rng.random() < share else c for c in text)))
    return pairs


def test_the_share_of_equal_signature_values_estimates_the_jaccard_similarity_of_the_shingles() -> None:
    errors, reference_errors = [], []
    for text, edited in edited_pairs(200):
        ours = [set(cluster.shingles(cluster.normalized(None, t)).tolist()) for t in (text, edited)]
        exact = len(ours[0] & ours[1]) / len(ours[0] | ours[1])
        first, second = cluster.signatures([(None, text), (None, edited)])
        errors.append(float(np.mean(first == second)) - exact)
        reference = [MinHash(num_perm=cluster.NUM_PERM) for _ in ours]
        for minhash, grams in zip(reference, ours):
            minhash.update_batch([str(gram).encode() for gram in grams])
        reference_errors.append(reference[0].jaccard(reference[1]) - exact)
    assert abs(np.mean(errors)) < 0.01
    assert np.mean(np.abs(errors)) <= np.mean(np.abs(reference_errors)) + 0.005  # as close as datasketch gets


def test_a_batch_of_signatures_is_each_listings_own_signature() -> None:
    contents = [(None, AD), ("", ""), ("撤", "三"), (None, "商"), ("标题", REPOST), (None, "！？"), ("", OTHER)]
    batch = cluster.signatures(contents)
    assert len(batch) == len(contents)
    for (title, text), values in zip(contents, batch):
        alone = cluster.signature(title, text)
        assert (values is None and alone is None) or np.array_equal(values, alone)
    assert batch[1] is None and batch[5] is None


def test_the_band_layout_is_the_one_datasketchs_lsh_picks_for_the_threshold() -> None:
    lsh = MinHashLSH(threshold=cluster.THRESHOLD, num_perm=cluster.NUM_PERM)
    assert (cluster.BANDS, cluster.ROWS_PER_BAND) == (lsh.b, lsh.r)


def test_signatures_survive_encoding_and_ignore_punctuation_and_spacing() -> None:
    values = cluster.signature("", AD)
    assert np.array_equal(cluster.decode(cluster.encode(values)), values)
    older = base64.b64encode(values.astype("<u8").tobytes()).decode("ascii")  # 64-bit values, as once stored
    assert cluster.decode(older) is None and not cluster.is_current(older)  # another scheme's: never compared
    assert np.array_equal(cluster.signature("", "撤三 ， 包成功"), cluster.signature("", "撤三包成功!"))
    assert cluster.signature("", "！？ ，") is None


def test_a_repost_joins_the_cluster_of_the_original_and_other_content_starts_its_own() -> None:
    index = cluster.NearDuplicateIndex()
    index.add("a", cluster.signature("", AD), "k")
    index.add("b", cluster.signature("", OTHER), "b")
    assert index.join("a", cluster.signature("", AD)) == "a"  # a lead is not its own near-duplicate
    index.add("a", cluster.signature("", AD), "k")
    assert index.join("c", cluster.signature("", REPOST)) == "k"
    assert index.join("d", cluster.signature("", "高价收专利代理师证，不用坐班，资质挂靠")) == "d"
    assert len(index) == 4


def test_changed_content_moves_a_lead_out_of_its_old_buckets() -> None:
    index = cluster.NearDuplicateIndex()
    index.add("a", cluster.signature("", AD), "a")
    index.add("a", cluster.signature("", OTHER), "a")
    assert len(index) == 1
    assert index.join("x", cluster.signature("", AD)) == "x"
    assert index.join("y", cluster.signature("", OTHER)) == "a"


def test_clusters_do_not_depend_on_how_signatures_are_chunked(monkeypatch: pytest.MonkeyPatch) -> None:
    contents = [AD, REPOST, OTHER, AD + "。", OTHER + "！", "高价收专利代理师证，不用坐班，资质挂靠", REPOST + "～"]

    def clusters() -> list[str]:
        index = cluster.NearDuplicateIndex()
        return [index.join(f"lead-{n}", cluster.signature("", text)) for n, text in enumerate(contents)]

    in_one_chunk = clusters()
    monkeypatch.setattr(cluster, "_CHUNK_ROWS", 2)
    assert clusters() == in_one_chunk
    assert in_one_chunk[1] == in_one_chunk[0] and in_one_chunk[4] == in_one_chunk[2]


def test_a_batch_joins_the_clusters_that_joining_its_leads_one_at_a_time_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(8)
    originals = [text for text, _ in edited_pairs(6)]

    def repost(text: str) -> str:
        """The text with punctuation added and some characters replaced (none, a few, or many: near the threshold)."""
        share = rng.choice((0.0, 0.06, 0.15))
        replaced = (chr(0x4E00 + rng.randrange(3000)) if rng.random() < share else c for c in text)
        return "".join(rng.choice("，。！ ") + c if rng.random() < 0.1 else c for c in replaced)

    def seeded() -> cluster.NearDuplicateIndex:
        index = cluster.NearDuplicateIndex()
        index.add("known-0", cluster.signature("", originals[0]), "case-0")
        index.add("known-1", cluster.signature("", originals[1]), "case-1")
        return index

    # Reposts of known ads, of ads earlier in the batch, unrelated ads, and a known lead joining again.
    texts = [repost(rng.choice(originals)) for _ in range(40)] + [OTHER, AD, REPOST]
    ids = [f"lead-{n:02d}" for n in range(len(texts))] + ["known-1"]
    signatures = [cluster.signature("", text) for text in texts] + [cluster.signature("", originals[1])]

    one_by_one = seeded()
    expected = [one_by_one.join(lead, values) for lead, values in zip(ids, signatures)]
    monkeypatch.setattr(cluster, "_PAIRS_PER_PASS", 3)
    assert seeded().join_many(ids, signatures) == expected
    assert {"case-0", "case-1"} <= set(expected)  # reposts of known ads joined their clusters
    assert expected[ids.index("lead-42")] == "lead-41"  # a repost of an ad earlier in the same batch
    with pytest.raises(ValueError):
        seeded().join_many(["a", "a"], signatures[:2])
