"""The bureau's weekly report: leads by label, platform, district and status, new vs. repeat agencies, takedown
outcomes and the agencies that cross the risk trigger, as HTML (inline SVG charts, no scripts) and XLSX.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from casework.agencies import classify_agencies
from casework.complaints import (
    COMPLAINT_STATUS_NAMES_ZH,
    ComplaintRegister,
    complaint_counts,
    load_complaints_config,
)
from casework.config import RiskConfig
from casework.dates import time_zh
from casework.export import safe_cell
from casework.workflow import NOTICED_STATUSES, status_events
from core.agency import Agency
from core.beijing import BEIJING
from core.labels import LABEL_NAMES_ZH, label_names_zh
from core.lead import SOURCE_NAMES_ZH, STATUS_NAMES_ZH, iso_utc
from core.visible import shown_in_template
from crawler.platforms import display_names
from index.district import UNKNOWN_DISTRICT
from index.query import LeadQuery
from index.store import LeadStore

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Period:
    """Days as the bureau counts them: calendar days in Beijing, from `first_day` to `last_day`. `since` and `until`
    are the instants bounding them in the store's UTC (a week of UTC days began at 08:00 in Shanghai)."""

    first_day: date
    last_day: date

    @classmethod
    def week(cls, ending: date | None = None) -> Period:
        """The seven days up to and including `ending` (default today in Beijing)."""
        end = ending or datetime.now(BEIJING).date()
        return cls(end - timedelta(days=6), end)

    @property
    def since(self) -> str:
        return iso_utc(datetime.combine(self.first_day, time(0, 0, 0), BEIJING))

    @property
    def until(self) -> str:
        return iso_utc(datetime.combine(self.last_day, time(23, 59, 59), BEIJING))

    @property
    def label(self) -> str:
        return f"{self.first_day.isoformat()} — {self.last_day.isoformat()}（{BEIJING.tzname(None)}）"


@dataclass
class Report:
    period: Period
    generated_at: str
    new_leads: int
    by_label: dict[str, int]
    by_platform: dict[str, int]
    by_district: dict[str, int]
    by_status: dict[str, int]
    agencies_active: int
    agencies_new: int
    agencies_repeat: int
    outcomes_in_period: dict[str, int]
    outcomes_total: dict[str, int]
    triggered: list[Agency] = field(default_factory=list)
    trigger_class: str = ""
    risk_classes: dict[str, float] = field(default_factory=dict)
    unreviewed_factor: float = 0.0
    by_source: dict[str, int] = field(default_factory=dict)
    complaints_by_status: dict[str, int] = field(default_factory=dict)
    complaints_by_age: dict[str, int] = field(default_factory=dict)
    platform_names: dict[str, str] = field(default_factory=dict)
    """The name staff know each platform by, by its code (`crawler.platforms.display_names`)."""

    def platforms_of(self, agency: Agency) -> str:
        """The platforms an agency's leads are on, by the names staff know them by."""
        return "、".join(self.platform_names.get(code, code) for code in agency.platforms)


def _with_unknown(counts: dict[str, int], total: int) -> dict[str, int]:
    missing = total - sum(counts.values())
    return {**counts, UNKNOWN_DISTRICT: missing} if missing > 0 else dict(counts)


def build_report(store: LeadStore, period: Period, risk: RiskConfig, *, use_images: bool = True) -> Report:
    in_period = LeadQuery(date_field="first_seen", since=period.since, until=period.until)
    total = store.count(in_period)
    all_leads = list(store.iter_leads(LeadQuery()))
    agencies = classify_agencies(all_leads, risk, use_images=use_images)
    first_seen = {lead.id: lead.first_seen or "" for lead in all_leads}
    active = new = repeat = 0
    for agency in agencies:
        dates = [first_seen.get(i, "") for i in agency.lead_ids]
        if not any(period.since <= d <= period.until for d in dates):
            continue
        active += 1
        if any(d and d < period.since for d in dates):
            repeat += 1
        else:
            new += 1
    outcomes_in_period = dict.fromkeys(NOTICED_STATUSES, 0)
    for lead in all_leads:
        for event in status_events(lead, NOTICED_STATUSES):
            if period.since <= str(event.get("at") or "") <= period.until:
                outcomes_in_period[event["to"]] += 1
    status_now = store.counts(by="status")
    with ComplaintRegister() as register:
        complaints = complaint_counts(register.all(), store, load_complaints_config())
    return Report(
        period=period,
        generated_at=time_zh(datetime.now(UTC)),
        new_leads=total,
        by_label=store.counts(by="label", query=in_period),
        by_platform=_with_unknown(store.counts(by="platform", query=in_period), total),
        by_district=_with_unknown(store.counts(by="district", query=in_period), total),
        by_status=store.counts(by="status", query=in_period),
        agencies_active=active, agencies_new=new, agencies_repeat=repeat,
        outcomes_in_period=outcomes_in_period,
        outcomes_total={key: status_now.get(key, 0) for key in NOTICED_STATUSES},
        triggered=[a for a in agencies if a.triggered],
        by_source=store.counts(by="source", query=in_period),
        complaints_by_status=complaints["status"], complaints_by_age=complaints["age"],
        trigger_class=risk.trigger_class, risk_classes=dict(risk.classes), unreviewed_factor=risk.unreviewed_factor,
        platform_names=display_names(),
    )


def class_rule_zh(report: Report) -> str:
    """What a risk class and its score mean, for a reader of the report who has not read risk.yaml: an agency's
    class may rest on leads nobody has reviewed yet, which count at a fraction."""
    classes = "、".join(f"{name}（{minimum:g} 分起）" for name, minimum in report.risk_classes.items())
    return (f"风险等级由低到高为 {classes}；分数为各项指标按权重相加，已确认的线索全额计入，未审核的线索按 "
            f"{report.unreviewed_factor:g} 倍计入，已排除的线索不计（config/casework/risk.yaml）。")


def reviewed_counts(agency: Agency) -> tuple[int, int]:
    """How many of an agency's leads with a violation were confirmed, and how many nobody has reviewed yet."""
    return int(agency.indicators.get("leads", 0)), int(agency.unreviewed_indicators.get("leads", 0))


def bar_chart_svg(counts: dict[str, int], names: dict[str, str] | None = None, width: int = 560) -> Markup:
    """A horizontal bar chart as inline SVG; labels are escaped (they can come from crawled data)."""
    names = names or {}
    rows = list(counts.items())
    if not rows:
        return Markup('<p class="empty">无数据</p>')
    bar_h, gap, left, right = 20, 6, 170, 50
    height = len(rows) * (bar_h + gap) + gap
    top = max(v for _, v in rows) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (key, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        length = int((width - left - right) * value / top)
        label = escape(names.get(key, key))
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12">{label}</text>'
                     f'<rect x="{left}" y="{y}" width="{max(length, 1)}" height="{bar_h}" fill="#1d4e89"/>'
                     f'<text x="{left + length + 4}" y="{y + 15}" font-size="12">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _sections(report: Report) -> list[tuple[str, dict[str, int], dict[str, str]]]:
    return [
        ("按违法类型", report.by_label, LABEL_NAMES_ZH),
        ("按平台", report.by_platform, report.platform_names),
        ("按所属区", report.by_district, {}),
        ("按处理状态", report.by_status, STATUS_NAMES_ZH),
        ("本周删除链接结果", report.outcomes_in_period, STATUS_NAMES_ZH),
        ("按线索来源", report.by_source, SOURCE_NAMES_ZH),
        ("举报投诉（当前，按状态）", report.complaints_by_status, COMPLAINT_STATUS_NAMES_ZH),
        ("未答复举报投诉（按受理天数）", report.complaints_by_age, {}),
    ]


def write_html(report: Report, path: Path) -> Path:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      finalize=shown_in_template)
    html = env.get_template("report.html").render(
        report=report, sections=[(title, counts, names, bar_chart_svg(counts, names))
                                 for title, counts, names in _sections(report)],
        LABEL_NAMES_ZH=LABEL_NAMES_ZH, STATUS_NAMES_ZH=STATUS_NAMES_ZH, class_rule=class_rule_zh(report),
        reviewed_counts=reviewed_counts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def write_xlsx(report: Report, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    workbook = Workbook()
    summary = workbook.active
    summary.title = "概况"
    for row in (("统计周期", report.period.label), ("生成时间", report.generated_at),
                ("新增线索", report.new_leads), ("涉及机构", report.agencies_active),
                ("其中新机构", report.agencies_new), ("其中再犯机构", report.agencies_repeat),
                (f"达到触发等级（{report.trigger_class}及以上）机构", len(report.triggered))):
        summary.append(list(row))
    for key in NOTICED_STATUSES:
        summary.append([f"当前{STATUS_NAMES_ZH[key]}", report.outcomes_total[key]])
    for title, counts, names in _sections(report):
        sheet = workbook.create_sheet(title)
        sheet.append(["项目", "数量"])
        for key, value in counts.items():
            sheet.append([safe_cell(names.get(key, key)), value])
        if counts:
            chart = BarChart()
            chart.type = "bar"
            chart.title = title
            chart.legend = None
            chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=len(counts) + 1), titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(counts) + 1))
            sheet.add_chart(chart, "D2")
    risky = workbook.create_sheet("高风险机构")
    risky.append(["等级", "分数", "机构", "别名", "代码", "平台", "违法类型", "线索数", "其中已确认", "其中未审核"])
    for agency in report.triggered:
        risky.append([safe_cell(value) for value in (
            agency.risk_level, agency.score, agency.name, "、".join(agency.aliases), "、".join(agency.agency_codes),
            report.platforms_of(agency), label_names_zh(agency.labels),
            agency.lead_count, *reviewed_counts(agency))])
    risky.append([class_rule_zh(report)])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(str(path))
    return path
