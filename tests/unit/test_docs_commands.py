"""Every shell command shown in ``README.md`` and ``docs/*.md`` runs as written.

What is checked, per fenced block of the Markdown files:

* **Shell blocks** (```` ```bash ````, ```` ```sh ````, ```` ```shell ````, ```` ```console ```` — in a console
  block only the lines starting with ``$ ``): every ``msa …`` command (also ``.venv/bin/msa``, inside
  ``$(…)``, after ``&&`` or ``|``) is parsed by the real parser (``msa.cli.build_parser``, nothing executed):
  an unknown subcommand or flag, a missing required option or a ``[--optional]`` part left in fails; every
  ``make TARGET`` names a target of the Makefile; every ``python -m MODULE`` names a module that exists.
  Then the block **runs in full** (``bash -e``, from the repository root, ``msa`` on the ``PATH``, each
  ``/tmp/`` replaced by a fresh temporary directory, so write outputs under ``/tmp/``), unless it says what
  it needs, in its first line (``# needs: infra``, seen by readers) or in an HTML comment on the line just
  before its fence (``<!-- needs: infra -->``, for blocks where the comment would read oddly):

  ``infra``    Kafka and PostgreSQL (``make infra``), or it starts services itself (``make run``, ``msa api &``),
               or a browser: parsed only, never run here;
  ``data``     the real recordings in ``../shared/data``: run when that folder is there (quick commands
               only), parsed only otherwise;
  ``minutes``  offline but long (every scenario, scores over seeds, benchmarks): parsed only; run when
               ``MSA_DOCS_RUN_SLOW=1``.

  Several: ``# needs: data, minutes``; words in parentheses are for the reader. An untagged block must
  finish in a few seconds (timeout 60 s), and one that calls a command that needs the infrastructure
  (``make``, ``msa replay``, ``msa api``, ``curl``… see ``NEEDS_INFRA``) fails without being run: tag it.
* **Synopses** (```` ```text ```` blocks, or untagged ones, whose lines start with ``msa``): usage lines with
  placeholders and ``[optional]`` parts; every ``--flag`` they name must be an option of that command.
* **Inline code** in the prose (`` `msa detector --grace-s 5` ``): the same check of the flags, so that advice
  never names an option the command lacks.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import re
import shlex
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from msa.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGS = {"bash", "sh", "shell", "console"}
NEEDS = {"infra", "data", "minutes"}
SHARED_DATA = ROOT.parent / "shared" / "data"
FENCE = re.compile(r"^(\s*)```\s*([\w-]*)\s*$")
SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")", ";;"}
# commands that need (or start) Kafka, PostgreSQL or a service: an untagged block must not call them
NEEDS_INFRA = {"make", "curl", "xdg-open", "docker", "psql"}
NEEDS_INFRA_MSA = {"run", "infra", "db", "replay", "ingest", "detector", "sink", "partner-router", "api",
                   "supervise", "bench", "tokens"}


@dataclass(frozen=True, slots=True)
class Block:
    path: Path
    line: int  # of the opening fence
    lang: str
    text: str
    before: str = ""  # the line just before the opening fence

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def needs(self) -> set[str]:
        first = self.text.lstrip().splitlines()[0] if self.text.strip() else ""
        m = re.match(r"#\s*needs:\s*(.+)", first) or re.match(r"<!--\s*needs:\s*(.+?)\s*-->", self.before.strip())
        words = re.sub(r"\(.*?\)", "", m.group(1)) if m else ""
        return {t.strip() for t in words.split(",") if t.strip()}


def fenced_blocks(path: Path) -> list[Block]:
    out: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        indent, lang, start = len(m.group(1)), m.group(2).lower(), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not FENCE.match(lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
            i += 1
        out.append(Block(path, start + 1, lang, "\n".join(body) + "\n", lines[start - 1] if start else ""))
        i += 1
    return out


BLOCKS = [b for p in DOC_FILES for b in fenced_blocks(p)]
SHELL_BLOCKS = [b for b in BLOCKS if b.lang in SHELL_LANGS]
SYNOPSES = [b for b in BLOCKS if b.lang in {"text", ""} and b.text.lstrip().startswith("msa ")]


def command_lines(block: Block) -> list[str]:
    """The block's command lines, continuation lines joined (console: only the ``$ `` lines)."""
    text = block.text.replace("\\\n", " ")
    lines = text.splitlines()
    if block.lang == "console":
        lines = [ln[2:] for ln in lines if ln.startswith("$ ")]
    return [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def simple_commands(line: str) -> list[list[str]]:
    """The simple commands of a shell line (split at pipes, ``&&``, ``;``, ``&``, ``$(…)``), assignments
    before the command word dropped."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    out: list[list[str]] = [[]]
    for tok in lex:
        if tok in SEPARATORS:
            out.append([])
        elif not out[-1] and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", tok):
            continue  # VAR=value, or VAR=$ before a ( of a command substitution
        else:
            out[-1].append(tok)
    return [c for c in out if c]


def _parse_msa(argv: list[str]) -> str | None:
    """None when ``msa argv`` parses; else argparse's message."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(argv)
    except SystemExit as exc:
        if exc.code not in (0, None):
            return err.getvalue().strip().splitlines()[-1] if err.getvalue().strip() else f"exit {exc.code}"
    return None


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


def problems_of(cmd: list[str]) -> list[str]:
    word = cmd[0]
    if word == "msa" or word.endswith("/msa"):
        why = _parse_msa(cmd[1:])
        return [f"`{shlex.join(cmd)}`: {why}"] if why else []
    if word == "make":
        return [f"`make {t}`: no such target in the Makefile" for t in cmd[1:]
                if not t.startswith("-") and "=" not in t and t not in _make_targets()]
    if re.fullmatch(r"(.*/)?python(3(\.\d+)?)?", word) and "-m" in cmd:
        mod = cmd[cmd.index("-m") + 1]
        if importlib.util.find_spec(mod) is None:
            return [f"`python -m {mod}`: no such module"]
        return [f"`{shlex.join(cmd)}`: an [optional] part left in a command" for t in cmd if t.startswith("[")]
    if word.startswith(".venv/") and not (ROOT / word).exists():
        return [f"`{word}`: not in the virtualenv"]
    return []


def subcommand_parser(words: list[str]) -> tuple[argparse.ArgumentParser, list[str]]:
    """The deepest ``msa`` subparser the leading words name, and the words after them."""
    parser = build_parser()
    rest = list(words)
    while rest:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        name = rest[0].split("\\|")[0].split("|")[0]
        if not subs or name not in subs[0].choices:
            break
        parser = subs[0].choices[name]
        rest = rest[1:]
    return parser, rest


def unknown_flags(words: list[str]) -> list[str]:
    """``--flags`` in ``msa WORDS…`` (a synopsis or an inline mention) that the command does not have, or the
    command itself when ``msa`` has none of that name (``msa <placeholder>`` aside)."""
    parser, rest = subcommand_parser(words)
    if words and len(rest) == len(words) and not words[0].startswith(("<", "-", "…")):
        return [f"no command {words[0]!r}"]
    known = set(parser._option_string_actions)
    flags = [re.sub(r"[\[\]…,.;:)]+$", "", t.lstrip("[(").split("=")[0])
             for t in rest if t.lstrip("[(").startswith("--")]
    return [f for f in flags if f and f not in known]


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


# ------------------------------------------------------------------------------------------------ the tests


def test_the_docs_have_shell_blocks_and_every_block_says_what_it_needs_in_known_words() -> None:
    assert len(SHELL_BLOCKS) >= 5
    bad = [f"{b.where}: # needs: {', '.join(sorted(b.needs - NEEDS))}" for b in SHELL_BLOCKS if b.needs - NEEDS]
    assert not bad, f"unknown needs (known: {sorted(NEEDS)}): {bad}"


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=lambda b: b.where)
def test_every_command_parses(block: Block) -> None:
    problems = [p for line in command_lines(block) for cmd in simple_commands(line) for p in problems_of(cmd)]
    assert not problems, f"{block.where}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("block", SYNOPSES, ids=lambda b: b.where)
def test_every_synopsis_names_only_real_flags(block: Block) -> None:
    text = block.text.replace("\\\n", " ")
    entries = re.split(r"\n(?=msa )", text)
    bad = [f"{e.split()[:2]}: {f}" for e in entries for f in unknown_flags(_words(e.replace("\n", " "))[1:])]
    assert not bad, f"{block.where}: flags the command lacks: {bad}"


def _inline_mentions() -> list[tuple[str, str]]:
    out = []
    for path in DOC_FILES:
        prose = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
        for m in re.finditer(r"`(msa [^`\n]+)`", prose):
            out.append((str(path.relative_to(ROOT)), m.group(1)))
    return out


def test_flags_named_in_the_prose_exist() -> None:
    mentions = _inline_mentions()
    assert len(mentions) > 20
    bad = [f"{where}: `{text}`: {', '.join(unknown_flags(_words(text)[1:]))}"
           for where, text in mentions if unknown_flags(_words(text)[1:])]
    assert not bad, "\n".join(bad)


def _needs_infra(cmd: list[str]) -> bool:
    word = cmd[0].rsplit("/", 1)[-1]
    if word == "msa":
        return bool(set(cmd[1:2]) & NEEDS_INFRA_MSA)
    return word in NEEDS_INFRA and cmd[1:] != ["help"]


def _runnable(block: Block) -> str | None:
    """Why ``block`` is not run here, or None."""
    if "infra" in block.needs:
        return "needs Kafka and PostgreSQL (make infra), or starts services"
    if "minutes" in block.needs and os.environ.get("MSA_DOCS_RUN_SLOW") != "1":
        return "takes minutes (MSA_DOCS_RUN_SLOW=1 runs it)"
    if "data" in block.needs and not SHARED_DATA.is_dir():
        return f"{SHARED_DATA} is absent"
    return None


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=lambda b: b.where)
def test_offline_blocks_run(block: Block, tmp_path: Path) -> None:
    why = _runnable(block)
    if why is not None:
        pytest.skip(why)
    infra = [shlex.join(c) for ln in command_lines(block) for c in simple_commands(ln) if _needs_infra(c)]
    assert not infra, f"{block.where}: tag it `# needs: infra`, not run: {infra}"
    script = "\n".join(command_lines(block)).replace("/tmp/", f"{tmp_path}/")
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    timeout_s = 1800 if "minutes" in block.needs else 60
    proc = subprocess.Popen(["bash", "-e", "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the block's commands too, not only bash
        out, err = proc.communicate()
        pytest.fail(f"{block.where} did not finish in {timeout_s} s: tag it `# needs: minutes`\n{err[-2000:]}")
    assert proc.returncode == 0, (f"{block.where} failed ({proc.returncode}):\n{script}\n--- stderr\n"
                                  f"{err[-3000:]}\n--- stdout\n{out[-1500:]}")
