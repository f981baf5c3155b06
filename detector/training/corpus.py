"""The labelled corpus: hand-written YAML templates turned deterministically into train / validation / test JSONL.

Templates live in `models/data/templates/{train,test}/<group>.yaml`. The test templates were written separately
from the train ones, so no template (nor paraphrase of one) is shared between training and test. Validation is
taken from the train templates by template (grouped), never by item. Programmatic variation: slot values, the
seller (a registry agency or not, which decides `unlicensed_agency`), neutral register decoration, and
composite listings (two violations, or a violation inside lawful / unrelated prose).
"""
from __future__ import annotations

import hashlib
import json
import random
import string
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.agency import RegisteredAgency
from core.config import ConfigError, read_yaml
from core.labels import CONTENT_LABELS, GENRES, SOLICITING_GENRES, UNLICENSED_AGENCY
from core.lead import Listing
from core.settings import project_root
from detector.registry import read_registry
from detector.training.obfuscate import obfuscate_items
from detector.training.real_corpus import RealItem

KINDS = ("violation", "lawful_ad", "hard_negative", "unrelated")
SELLER_MODES = ("any", "personal", "licensed")
SPLITS = ("train", "validation", "test")
SEED = 20240520
# Items per template: more for lawful and hard-negative templates in training, where precision is learnt.
VARIANTS = {("train", "violation"): 8, ("train", "other"): 12, ("test", "violation"): 5, ("test", "other"): 5}
VALIDATION_EVERY = 5  # one train template in five goes to validation
COMPOSITE_SHARE = 0.2

_TITLE_DECORATION = ("", "", "", "【热卖】", "🔥", "急！", "新店 ", "【优惠】", "靠谱｜", "★ ", "（可开票）")
_TEXT_DECORATION = (
    "", "", "", "欢迎咨询。", "诚信经营。", "联系电话：{phone}", "微信：{wx}", "QQ：{qq}", "价格可议。",
    "{district}可上门。", "有意者私聊。", "全国可办。", "工作日九点到六点在线。", "老客户介绍有优惠。",
)
_PERSONAL_SELLERS = (
    "{person}的小店", "专利代写{person}", "小{surname}知产工作室", "{surname}工ip服务", "闲置好物{n}号",
    "{surname}老师咨询", "知产小助手{n}", "{city}{surname}先生", "青年发明人之家", "创客{surname}同学",
)
_UNLICENSED_COMPANIES = (
    "{city}{company_fake}知识产权服务有限公司", "{city}{company_fake}企业管理咨询有限公司",
    "{company_fake}科技咨询工作室", "{city}{company_fake}商务信息咨询有限公司", "{company_fake}知产服务中心",
)
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"


@dataclass(frozen=True, slots=True)
class Template:
    """One hand-written listing with `{slot}` placeholders."""

    id: str
    source: str  # "train" or "test": the template set it was written for
    group: str  # the file it comes from
    kind: str
    title: str
    text: str
    labels: tuple[str, ...]
    offers_patent_agency: bool
    seller: str  # one of SELLER_MODES
    genre: str = "ad"  # one of core.labels.GENRES


@dataclass(slots=True)
class Item:
    """One corpus listing, as written to the JSONL files."""

    id: str
    title: str
    text: str
    seller: str
    agency_code: str
    labels: list[str]
    offers_patent_agency: bool | None  # None: not known (written items that do not say)
    kind: str
    template_id: str
    split: str
    group: str = ""
    evasion: str = ""  # obfuscated copies only: the evasions applied
    genre: str = ""  # one of core.labels.GENRES; "" when not known (reviewed leads)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @property
    def solicits(self) -> bool | None:
        """Whether the author solicits business (the `solicitation` target); None when the genre is unknown and
        nothing says so (a dismissed lead)."""
        if self.genre:
            return self.genre in SOLICITING_GENRES
        return True if self.labels else None


def data_root() -> Path:
    return project_root() / "models" / "data"


def load_registry(path: Path | None = None) -> list[RegisteredAgency]:
    """The licensed-agency registry the corpus's sellers are drawn from (`models/data/registry.csv`)."""
    return read_registry(path or data_root() / "registry.csv")


def load_slots(path: Path | None = None) -> dict[str, list[str]]:
    path = path or data_root() / "templates" / "slots.yaml"
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must map a slot name to a list of values")
    for name, values in data.items():
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
            raise ConfigError(f"{path}: field '{name}' must be a non-empty list of strings")
    return data


def load_templates(directory: Path, source: str) -> list[Template]:
    """Every template of one set (`train` or `test`), validated; ids are `<source>/<group>/<index>`."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError(f"{directory}: no template files (*.yaml)")
    templates: list[Template] = []
    for path in files:
        templates.extend(_parse_template_file(path, source))
    return templates


def _parse_template_file(path: Path, source: str) -> Iterator[Template]:
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list):
        raise ConfigError(f"{path}: needs a 'templates' list")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{path}: field 'kind' must be one of {', '.join(KINDS)}")
    default_labels = _labels(data.get("labels") or [], f"{path}: field 'labels'")
    default_offers = bool(data.get("offers_patent_agency", False))
    default_seller = data.get("seller", "any")
    default_genre = data.get("genre", "ad")
    if default_genre not in GENRES:
        raise ConfigError(f"{path}: field 'genre' must be one of {', '.join(GENRES)}")
    for index, raw in enumerate(data["templates"]):
        where = f"{path}: templates[{index}]"
        if isinstance(raw, str):
            raw = {"t": raw}
        if not isinstance(raw, dict) or not isinstance(raw.get("t"), str):
            raise ConfigError(f"{where}: must be a string 'title ## text' or a mapping with 't'")
        unknown = set(raw) - {"t", "x", "labels", "offers", "seller", "genre"}
        if unknown:
            raise ConfigError(f"{where}: unknown field '{sorted(unknown)[0]}'")
        title, _, text = raw["t"].partition("##")
        text = raw.get("x", text)
        if not title.strip() or not str(text).strip():
            raise ConfigError(f"{where}: needs a title and a text ('title ## text' or fields 't' and 'x')")
        labels = _labels(raw["labels"], f"{where}: field 'labels'") if "labels" in raw else default_labels
        seller = raw.get("seller", default_seller)
        if seller not in SELLER_MODES:
            raise ConfigError(f"{where}: field 'seller' must be one of {', '.join(SELLER_MODES)}")
        if labels and kind != "violation":
            raise ConfigError(f"{where}: a {kind} template cannot carry labels")
        genre = raw.get("genre", default_genre)
        if genre not in GENRES:
            raise ConfigError(f"{where}: field 'genre' must be one of {', '.join(GENRES)}")
        if labels and genre not in SOLICITING_GENRES:
            raise ConfigError(f"{where}: a violation is its author's offer: field 'genre' must be "
                              f"{' or '.join(sorted(SOLICITING_GENRES))}")
        yield Template(
            id=f"{source}/{path.stem}/{index:03d}",
            source=source,
            group=path.stem,
            kind=kind,
            title=title.strip(),
            text=str(text).strip(),
            labels=labels,
            offers_patent_agency=bool(raw.get("offers", default_offers)),
            seller=seller,
            genre=genre,
        )


def _labels(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or any(label not in CONTENT_LABELS for label in value):
        raise ConfigError(f"{where} must list labels among {', '.join(CONTENT_LABELS)}")
    return tuple(value)


def template_split(template: Template) -> str:
    """Test templates go to test; train templates to train or, one in VALIDATION_EVERY (by hash), validation."""
    if template.source == "test":
        return "test"
    bucket = int(hashlib.sha1(template.id.encode()).hexdigest(), 16) % VALIDATION_EVERY
    return "validation" if bucket == 0 else "train"


class CorpusBuilder:
    """Fills templates into items; every random choice is seeded by the template id, so output is stable."""

    def __init__(self, slots: dict[str, list[str]], registry: list[RegisteredAgency], seed: int = SEED) -> None:
        self.slots = slots
        self.registry = registry
        self.seed = seed

    def items_for(self, template: Template, split: str) -> list[Item]:
        count = VARIANTS[template.source, "violation" if template.kind == "violation" else "other"]
        return [self._fill(template, split, variant) for variant in range(count)]

    def _fill(self, template: Template, split: str, variant: int) -> Item:
        rng = random.Random(f"{self.seed}:{template.id}:{variant}")
        needs = _fields(template.title) | _fields(template.text)
        licensed = self._licensed(template, needs, rng)
        values = {name: rng.choice(options) for name, options in self.slots.items()}
        values.update(phone=_phone(rng), wx=_wechat(rng), qq=str(rng.randint(10**7, 10**10)))
        if licensed:
            agency = rng.choice(self.registry)
            values.update(seller=agency.name, code=agency.code)
        else:
            values.update(seller=self._unlicensed_seller(template, rng, values), code="")
        title = rng.choice(_TITLE_DECORATION) + template.title
        text = template.text
        suffix = rng.choice(_TEXT_DECORATION)
        if suffix:
            text = f"{text}{suffix}"
        labels = list(template.labels)
        if template.offers_patent_agency and not licensed:
            labels.append(UNLICENSED_AGENCY)
        item_id = hashlib.sha1(f"{template.id}:{variant}".encode()).hexdigest()[:16]
        return Item(
            id=item_id,
            title=title.format_map(values),
            text=text.format_map(values),
            seller=values["seller"],
            agency_code=values["code"] if "code" in needs else "",
            labels=labels,
            offers_patent_agency=template.offers_patent_agency,
            kind="violation" if labels else template.kind,
            template_id=template.id,
            split=split,
            group=template.group,
            genre=template.genre,
        )

    def _licensed(self, template: Template, needs: set[str], rng: random.Random) -> bool:
        if "code" in needs or template.seller == "licensed":
            return True
        if template.seller == "personal":
            return False
        return rng.random() < 0.5

    def _unlicensed_seller(self, template: Template, rng: random.Random, values: dict[str, str]) -> str:
        pool = _PERSONAL_SELLERS if template.seller == "personal" or rng.random() < 0.5 else _UNLICENSED_COMPANIES
        return rng.choice(pool).format(surname=rng.choice(_SURNAMES), **values)

    def composites(self, items: list[Item], split: str) -> list[Item]:
        """Listings that join two items of one split: two violations, a violation within other prose, or two
        lawful / unrelated texts (long lawful pages)."""
        rng = random.Random(f"{self.seed}:composite:{split}")
        violations = [item for item in items if item.kind == "violation" and set(item.labels) - {UNLICENSED_AGENCY}]
        others = [item for item in items if item.kind != "violation"]
        if not violations or not others:
            return []
        made: list[Item] = []
        for number in range(int(len(items) * COMPOSITE_SHARE)):
            first = rng.choice(violations)
            if number % 3 == 1:
                second = rng.choice(violations)
                if set(second.labels) == set(first.labels):
                    continue
                made.append(self._join(first, second, first.title, split, number))
            elif number % 3 == 2:
                context, more = rng.choice(others), rng.choice(others)
                made.append(self._join(context, more, context.title, split, number))
            else:
                context = rng.choice(others)
                made.append(self._join(context, first, rng.choice((first.title, context.title)), split, number))
        return made

    def _join(self, a: Item, b: Item, title: str, split: str, number: int) -> Item:
        """`a`'s text then `b`'s; the seller is the one a text names by agency code, else the violation's."""
        carrier = a if a.agency_code else b if b.agency_code else (b if b.kind == "violation" else a)
        offers = a.offers_patent_agency or b.offers_patent_agency
        labels = sorted((set(a.labels) | set(b.labels)) - {UNLICENSED_AGENCY})
        if offers and carrier.seller not in {agency.name for agency in self.registry}:
            labels.append(UNLICENSED_AGENCY)
        return Item(
            id=hashlib.sha1(f"{a.id}+{b.id}:{number}".encode()).hexdigest()[:16],
            title=title,
            text=f"{a.text}\n{b.text}",
            seller=carrier.seller,
            agency_code=carrier.agency_code,
            labels=labels,
            offers_patent_agency=offers,
            kind="violation" if labels else a.kind,
            template_id=f"{a.template_id}+{b.template_id}",
            split=split,
            group="composite",
            genre=a.genre if a.solicits or not b.solicits else b.genre,
        )


def _fields(pattern: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(pattern) if name}


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('356789')}{rng.randint(0, 999999999):09d}"


def _wechat(rng: random.Random) -> str:
    stem = rng.choice(("ip", "zl", "sb", "zscq", "kefu", "tm", "patent", "zhichan"))
    return f"{stem}{rng.choice(('_', '', '-'))}{rng.randint(10, 99999)}"


@dataclass(frozen=True, slots=True)
class Corpus:
    """The three splits of the corpus and the templates they came from."""

    splits: dict[str, list[Item]]
    templates: list[Template]

    def counts(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for split, items in self.splits.items():
            row = {"items": len(items), "templates": len({t for i in items for t in i.template_id.split("+")})}
            for kind in KINDS:
                row[kind] = sum(1 for item in items if item.kind == kind)
            for label in (*CONTENT_LABELS, UNLICENSED_AGENCY, "offers_patent_agency"):
                row[label] = sum(
                    1 for item in items
                    if (item.offers_patent_agency if label == "offers_patent_agency" else label in item.labels)
                )
            table[split] = row
        return table


def build_corpus(root: Path | None = None, seed: int = SEED) -> Corpus:
    """Read the templates, slots and registry under `root` (default `models/data`) and generate every split."""
    root = root or data_root()
    builder = CorpusBuilder(load_slots(root / "templates" / "slots.yaml"), load_registry(root / "registry.csv"), seed)
    templates = [
        *load_templates(root / "templates" / "train", "train"),
        *load_templates(root / "templates" / "test", "test"),
    ]
    splits: dict[str, list[Item]] = {split: [] for split in SPLITS}
    for template in templates:
        split = template_split(template)
        splits[split].extend(builder.items_for(template, split))
    for split in SPLITS:
        splits[split].extend(builder.composites(splits[split], split))
    return Corpus(splits, templates)


def write_corpus(corpus: Corpus, root: Path | None = None) -> dict[str, Path]:
    """Write `<root>/<split>.jsonl` for every split and the obfuscated copy of the positive test items."""
    root = root or data_root()
    root.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for split, items in corpus.splits.items():
        paths[split] = _write_jsonl(root / f"{split}.jsonl", items)
    obfuscated = obfuscate_items([item for item in corpus.splits["test"] if item.labels], seed=SEED)
    paths["test_obfuscated"] = _write_jsonl(root / "test_obfuscated.jsonl", obfuscated)
    return paths


def _write_jsonl(path: Path, items: Iterable[Item]) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for item in items:
            handle.write(item.to_json() + "\n")
    return path


def items_from_real(items: Iterable[RealItem]) -> list[Item]:
    """Real-world passages as corpus items for training: grouped by source document (`template_id` real/<doc>),
    content labels only (a passage shows no seller for the registry). The genre says who speaks: an ad quoted
    verbatim is an ad whatever page quotes it; a paraphrase has no genre of its own."""
    converted = []
    for item in items:
        genre = {"ad_verbatim": "ad", "ad_paraphrase": ""}.get(item.voice, item.genre)
        converted.append(Item(
            id=item.id, title=item.title, text=item.text, seller="", agency_code="",
            labels=[label for label in item.labels if label in CONTENT_LABELS],
            offers_patent_agency=item.offers_patent_agency, kind=item.kind, template_id=f"real/{item.doc}",
            split=item.split, group="real", genre=genre,
        ))
    return converted


WRITTEN_KINDS = ("violation", "hard_negative", "easy")


def load_written_items(path: Path) -> list[Item]:
    """The written set (`models/data/written/items.jsonl`, see its README) as train items: each its own group
    (`template_id` written/<id>), content labels only. `offers_patent_agency` is the item's own field where given
    (true whenever it is labelled `unlicensed_agency`), else true for `unlicensed_agency` and unknown otherwise: a
    target that is only ever true teaches that every ad offers patent agency. A violation is an ad, so it
    solicits; the rest solicits where its `genre` says so, and is unknown without one."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            labels = data["labels"]
            kind = data["kind"]
            fields = (data["id"], data["title"], data["text"], data.get("seller", ""))
            genre = data.get("genre", "ad" if labels else "")
            offers = data.get("offers_patent_agency", True if UNLICENSED_AGENCY in labels else None)
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}: line {number}: not a written item ({exc!r})") from exc
        unknown = [label for label in labels if label not in (*CONTENT_LABELS, UNLICENSED_AGENCY)]
        if kind not in WRITTEN_KINDS or unknown or (kind == "violation") != bool(labels):
            raise ConfigError(f"{path}: line {number}: field 'kind' or 'labels': kind {kind!r} with labels {labels}")
        if (genre and genre not in GENRES) or (labels and genre not in SOLICITING_GENRES):
            raise ConfigError(f"{path}: line {number}: field 'genre': {genre!r} is not one of "
                              f"{', '.join(sorted(SOLICITING_GENRES) if labels else GENRES)}")
        if offers is not None and not isinstance(offers, bool):
            raise ConfigError(f"{path}: line {number}: field 'offers_patent_agency': {offers!r} is not true or false")
        if UNLICENSED_AGENCY in labels and offers is not True:
            raise ConfigError(f"{path}: line {number}: field 'offers_patent_agency': must be true when labelled "
                              f"{UNLICENSED_AGENCY}")
        item_id, title, text, seller = fields
        items.append(Item(
            id=f"written/{item_id}", title=title, text=text, seller=seller, agency_code="",
            labels=[label for label in labels if label in CONTENT_LABELS],
            offers_patent_agency=offers, kind=kind,
            template_id=f"written/{item_id}", split="train", group="written", genre=genre,
        ))
    return items


def listing_of(item: Item) -> Listing:
    """The listing fields a detector reads, from a corpus item."""
    return {"id": item.id, "title": item.title, "text": item.text, "seller": item.seller}


def read_items(path: Path) -> list[Item]:
    """Items of one JSONL split file; a malformed line is an error naming the file and line."""
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found (run `lantian train --rebuild-corpus`)") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            items.append(Item(**data))
        except (json.JSONDecodeError, TypeError) as exc:
            raise ConfigError(f"{path}: line {number}: not a corpus item ({exc})") from exc
    return items
