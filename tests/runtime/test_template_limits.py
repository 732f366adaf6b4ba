"""Templates typed into a page are bounded in what they build and how long they render: each attack below gets a
one-line refusal within seconds, and ordinary templates (the shipped ones, edited) still render the same."""

from __future__ import annotations

import time

import pytest

from playground.core.errors import TemplateError
from playground.runtime import templates
from playground.runtime.sandbox import MAX_CHARS, RENDER_SECONDS, size

# Each of these would hold a worker for minutes or take gigabytes, in Jinja's plain sandbox.
ATTACKS = {
    "string times a huge number": '{{ "x" * 4000000000 }}{{ prompt }}',
    "list times a huge number, joined": "{{ ([prompt] * 100000000) | join }}",
    "a list of shared big strings, joined": '{{ (["x" * 150000] * 100) | join }}',
    "the few-shot set line": '{%- set shots = ["x" * 4000000000] -%}{{ prompt }}',
    "doubling with ~ in a loop": (
        '{% set ns = namespace(s="xxxxxxxx") %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}'
        "{{ ns.s|length }}{{ prompt }}"
    ),
    "doubling with + in a loop": (
        '{% set ns = namespace(s=["x"]) %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ prompt }}'
    ),
    "nested loops": "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}{{ prompt }}",
    "a long range": "{% for i in range(10000000000) %}{% endfor %}{{ prompt }}",
    "nested loops over big lists": (
        '{% set l = "x" * 150000 %}{% for a in l %}{% for b in l %}{% endfor %}{% endfor %}{{ prompt }}'
    ),
    "output written in a loop": '{% for i in range(10000) %}{{ "x" * 100 }}{% endfor %}{{ prompt }}',
    "a huge power": "{{ 10 ** (10 ** 10) }}{{ prompt }}",
    "repeated squaring": (
        "{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}{% endfor %}{{ prompt }}"
    ),
    "str.ljust": '{{ "x".ljust(4000000000) }}{{ prompt }}',
    "str.center by a width under the cap, many times": '{{ ("x".center(199999) ~ "") * 2 }}{{ prompt }}',
    "str.replace multiplying": '{{ ("a" * 1000).replace("a", "b" * 1000) }}{{ prompt }}',
    "str.format width": '{{ "{:999999999}".format(1) }}{{ prompt }}',
    "str.format nested width": '{{ ("{:{}}" * 100).format(*(["x", 199999] * 100)) }}{{ prompt }}',
    "percent width": '{{ "%999999999d" % 1 }}{{ prompt }}',
    "percent star width": '{{ ("%*s" * 1000) % ([199999, "x"] * 1000) }}{{ prompt }}',
    "the center filter": "{{ prompt | center(4000000000) }}",
    "the indent filter on many lines": '{{ ("a\\n" * 90000) | indent(1000) }}{{ prompt }}',
    "the format filter": '{{ "%999999999s" | format("x") }}{{ prompt }}',
    "the tojson filter with an indent": '{{ (["x"] * 150000) | tojson(indent=100) }}{{ prompt }}',
    "the wordwrap filter": '{{ ("a " * 90000) | wordwrap(1, wrapstring="x" * 1000) }}{{ prompt }}',
    "lipsum": "{{ lipsum(n=1000000000) }}{{ prompt }}",
    "a macro calling itself": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}{{ prompt }}",
    "appending in a loop": ('{% set l = ["x"] %}{% for i in range(40) %}{{ l.extend(l) }}{% endfor %}{{ prompt }}'),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_is_refused_in_one_line_within_seconds(name: str) -> None:
    started = time.perf_counter()
    with pytest.raises(TemplateError) as caught:
        templates.render("generation.j2", ATTACKS[name], prompt="Hello")
    elapsed = time.perf_counter() - started
    message = str(caught.value)
    assert "\n" not in message and message.startswith("the edited generation.j2"), message
    assert elapsed < RENDER_SECONDS + 3, f"{name} took {elapsed:.1f} s"


def test_the_refusal_names_the_bound_it_hit() -> None:
    with pytest.raises(TemplateError, match=r"the \* operator would hold more than 200,000"):
        templates.render("generation.j2", ATTACKS["string times a huge number"], prompt="Hi")
    with pytest.raises(TemplateError, match=f"took longer than {RENDER_SECONDS:g} s"):
        templates.render("generation.j2", ATTACKS["nested loops"], prompt="Hi")
    with pytest.raises(TemplateError, match="range"):
        templates.render("generation.j2", ATTACKS["a long range"], prompt="Hi")


@pytest.mark.parametrize("name", ["translation.j2", "grammar.j2", "style_transfer.j2", "cluster_name.j2"])
def test_a_shipped_template_edited_unchanged_renders_as_the_original(name: str) -> None:
    """The bounds must not get in the way of a real prompt: each shipped template with its shots written into it."""
    variables: dict[str, object] = {v: "Some text." for v in templates.variables(name) - {"shots"}}
    variables |= {"examples": 5, "style": "formal", "texts": ["one text", "another text"]}
    variables |= {"source_lang": "en", "target_lang": "fr", "source_name": "English", "target_name": "French"}
    variables = {k: v for k, v in variables.items() if k in templates.variables(name)}
    original = templates.render(name, **variables)
    assert len(original) > 100  # the shots are in it
    assert templates.render(name, templates.editable_source(name), **variables) == original


def test_ordinary_template_features_still_work() -> None:
    text = (
        "{% set words = prompt.split() %}{{ words | join(', ') | upper }} {{ '%-6s|' % 'ab' }} {{ '{:>5}'.format(7) }}"
        "{% for i in range(3) %}{{ loop.index }}{% endfor %} {{ 2 ** 10 }} {{ prompt | center(9) }}|"
        "{{ (['a'] * 3) | join('-') }} {{ 'ab' ~ 'cd' }} {{ prompt | replace('o', '0') }}"
    )
    assert templates.render("generation.j2", text, prompt="hello you") == (
        "HELLO, YOU ab    |     7123 1024 hello you|a-a-a abcd hell0 y0u"
    )


def test_a_refused_render_leaves_the_thread_usable() -> None:
    """The time limit interrupts this thread: a pending interruption must not land in the next statement."""
    with pytest.raises(TemplateError):
        templates.render("generation.j2", ATTACKS["nested loops"], prompt="Hi")
    time.sleep(0.2)
    assert templates.render("generation.j2", "{{ prompt }}!", prompt="Hi") == "Hi!"


def test_size_counts_shared_items_each_time_and_stops_early() -> None:
    big = "x" * 1000
    assert size([big, big]) == 2002
    started = time.perf_counter()
    assert size([big] * 10_000_000) > MAX_CHARS
    assert time.perf_counter() - started < 1.0
