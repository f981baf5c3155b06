"""Links to this machine. The demo's leads (`make demo`) point at the platform simulator, which the demo serves on
free loopback ports picked at its start and stops when it ends, so their links open nothing afterwards (and
`lantian simulator start` serves other ports); a member of staff reading such a link is told so, and where the page
is kept. No platform staff monitor lives on a loopback address."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOCAL_LINK_ZH = ("此链接指向本机上的模拟平台（演示数据）：演示结束时模拟平台已停止，其端口每次随机分配，"
                 "链接无法再打开；网页以存档的网页原文和截图为准")
LOCAL_LINK_EN = ("This link is to the platform simulator on this machine (demo data). The simulator stopped when the "
                 "demo ended and its ports change with every run, so the link no longer opens: the stored raw page "
                 "and screenshot keep the page.")


def on_this_machine(url: str | None) -> bool:
    """Whether `url` points at this machine: a loopback host (`localhost`, 127.0.0.0/8, ::1)."""
    try:
        host = (urlsplit(url or "").hostname or "").rstrip(".").lower()
    except ValueError:  # a malformed IPv6 host
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
