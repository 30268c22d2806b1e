"""Where messages go: WeCom and DingTalk group robots (Markdown) and e-mail over SMTP.

Every sender raises ChannelError on failure with a message that names the channel and the
reason but never a secret (webhook keys travel in the URL, which is never put in a message).
`deliver` retries a sender with backoff on timeouts, HTTP 4xx/5xx, unreadable JSON and a JSON
``errcode`` other than 0, and returns what happened instead of raising.
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from app.config import NotifySettings, Secrets

# WeCom: "markdown.content ... 最长不超过4096个字节，必须是utf8编码".
WECOM_LIMIT_BYTES = 4096
# DingTalk documents no Markdown size; messages past ~20 000 bytes are refused in practice.
DINGTALK_LIMIT_BYTES = 20000
ELLIPSIS = "…"


class ChannelError(RuntimeError):
    """A channel refused or did not answer; the text is safe to log and show."""


@dataclass(frozen=True)
class Message:
    """One message in every form a channel needs."""

    title: str
    markdown: str  # chat Markdown (WeCom, DingTalk)
    text: str  # e-mail plain-text part
    html: str  # e-mail HTML part
    link: str  # the dashboard page the whole message comes from
    more: str = "More on the dashboard"  # the words of the link a trimmed message ends with


@dataclass(frozen=True)
class Retry:
    """How hard to try: attempts, the first pause (doubled each time) and the timeout."""

    attempts: int = 3
    backoff_s: float = 1.0
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Outcome:
    """What happened to one message on one channel."""

    channel: str
    ok: bool
    attempts: int
    error: str | None = None


# ---- size limits -------------------------------------------------------------------------------


def trim_to_bytes(content: str, limit: int, link: str, more: str) -> str:
    """Return content within ``limit`` UTF-8 bytes: whole lines kept, then '…' and a link.

    Content that fits is returned unchanged. Lines are dropped from the end; a first line too
    long on its own is cut at a character boundary.
    """
    if len(content.encode("utf-8")) <= limit:
        return content
    tail = f"\n{ELLIPSIS}\n[{more}]({link})"
    room = limit - len(tail.encode("utf-8"))
    if room <= 0:
        raise ValueError("the limit leaves no room for the link")
    kept: list[str] = []
    used = 0
    for line in content.split("\n"):
        size = len(line.encode("utf-8")) + (1 if kept else 0)
        if used + size > room:
            if not kept:
                kept.append(line.encode("utf-8")[:room].decode("utf-8", "ignore"))
            break
        kept.append(line)
        used += size
    return "\n".join(kept) + tail


# ---- HTTP robots -------------------------------------------------------------------------------


def _post_json(url: str, payload: dict, timeout_s: float, channel: str) -> dict:
    """POST JSON, return the JSON answer; raise ChannelError (never naming the URL)."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"{channel}: HTTP {exc.code}") from None
    except TimeoutError:
        raise ChannelError(f"{channel}: no answer within {timeout_s:g} s") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise ChannelError(f"{channel}: no answer within {timeout_s:g} s") from None
        raise ChannelError(f"{channel}: cannot connect ({type(reason).__name__})") from None
    except (ConnectionError, OSError) as exc:
        raise ChannelError(f"{channel}: connection failed ({type(exc).__name__})") from None
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ChannelError(f"{channel}: the answer is not JSON") from None
    if not isinstance(answer, dict):
        raise ChannelError(f"{channel}: the answer is not a JSON object")
    code = answer.get("errcode", 0)
    if code != 0:
        # errmsg is the vendor's text (e.g. "invalid webhook url"); it carries no key.
        msg = str(answer.get("errmsg", ""))[:200]
        raise ChannelError(f"{channel}: errcode {code} {msg}".rstrip())
    return answer


def wecom_payload(message: Message) -> dict:
    """Return the WeCom group robot's Markdown message, trimmed to its 4096-byte limit."""
    content = trim_to_bytes(message.markdown, WECOM_LIMIT_BYTES, message.link, message.more)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def send_wecom(settings: NotifySettings, secrets: Secrets, message: Message, timeout_s: float):
    """Send to the store's WeCom group robot (webhook key from the secrets)."""
    if not secrets.wecom_key:
        raise ChannelError("wecom: no webhook key configured")
    url = f"{settings.wecom_url}?{urllib.parse.urlencode({'key': secrets.wecom_key})}"
    _post_json(url, wecom_payload(message), timeout_s, "wecom")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's signature: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")).

    The caller URL-encodes it as the ``sign`` query parameter, next to ``timestamp``.
    """
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_payload(message: Message) -> dict:
    """Return the DingTalk custom robot's Markdown message."""
    text = trim_to_bytes(message.markdown, DINGTALK_LIMIT_BYTES, message.link, message.more)
    return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}


def send_dingtalk(
    settings: NotifySettings, secrets: Secrets, message: Message, timeout_s: float
) -> None:
    """Send to the store's DingTalk robot, signed when a secret is configured."""
    if not secrets.dingtalk_token:
        raise ChannelError("dingtalk: no access token configured")
    query = {"access_token": secrets.dingtalk_token}
    if secrets.dingtalk_secret:
        timestamp = int(time.time() * 1000)
        query |= {"timestamp": str(timestamp), "sign": dingtalk_sign(secrets.dingtalk_secret,
                                                                      timestamp)}  # fmt: skip
    url = f"{settings.dingtalk_url}?{urllib.parse.urlencode(query)}"
    _post_json(url, dingtalk_payload(message), timeout_s, "dingtalk")


# ---- e-mail ------------------------------------------------------------------------------------


def email_message(settings: NotifySettings, message: Message) -> EmailMessage:
    """Return the mail: plain text with an HTML alternative, subject encoded (RFC 2047)."""
    mail = EmailMessage()  # policy=default: non-ASCII headers are encoded on output
    mail["Subject"] = message.title
    mail["From"] = settings.smtp_from
    mail["To"] = ", ".join(settings.recipients)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def send_email(
    settings: NotifySettings, secrets: Secrets, message: Message, timeout_s: float
) -> None:
    """Send the mail to the store's recipients over STARTTLS, SSL or (local relays) plain."""
    if not (settings.smtp_host and settings.recipients):
        raise ChannelError("email: no SMTP host or no recipients configured")
    context = ssl.create_default_context(cafile=settings.smtp_cafile or None)
    try:
        if settings.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout_s, context=context
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout_s)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=context)
            if settings.smtp_user:
                client.login(settings.smtp_user, secrets.smtp_password)
            # Generated with the SMTP policy: the Chinese subject goes out RFC 2047 encoded,
            # which every server accepts (send_message would switch to SMTPUTF8 for some).
            mail = email_message(settings, message).as_bytes(policy=email.policy.SMTP)
            refused = client.sendmail(settings.smtp_from, list(settings.recipients), mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelError(f"email: login refused ({exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        raise ChannelError(f"email: server answered {exc.smtp_code}") from None
    except smtplib.SMTPException as exc:
        raise ChannelError(f"email: {type(exc).__name__}") from None
    except TimeoutError:
        raise ChannelError(f"email: no answer within {timeout_s:g} s") from None
    except (ssl.SSLError, OSError) as exc:
        raise ChannelError(f"email: connection failed ({type(exc).__name__})") from None
    if refused:
        raise ChannelError(f"email: {len(refused)} recipient(s) refused")


SENDERS: dict[str, Callable[[NotifySettings, Secrets, Message, float], None]] = {
    "wecom": send_wecom,
    "dingtalk": send_dingtalk,
    "email": send_email,
}


def deliver(
    channel: str,
    settings: NotifySettings,
    secrets: Secrets,
    message: Message,
    retry: Retry | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send on one channel, retrying with doubling pauses; return the outcome (never raise)."""
    retry = retry or Retry()
    send = SENDERS[channel]
    error = None
    for attempt in range(1, retry.attempts + 1):
        try:
            send(settings, secrets, message, retry.timeout_s)
            return Outcome(channel, True, attempt)
        except ChannelError as exc:
            error = str(exc)
        if attempt < retry.attempts:
            sleep(retry.backoff_s * 2 ** (attempt - 1))
    return Outcome(channel, False, retry.attempts, error)
