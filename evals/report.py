"""Presenting eval results: the console table, per-item failure reasons, charts and report.html."""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from evals import metrics
from evals.runner import ROUTES, ItemOutcome
from evals.suite import EvalItem

# -- per-item analysis -----------------------------------------------------------------------


def failure_reasons(outcome: ItemOutcome) -> list[tuple[str, str]]:
    """Why an item counts as failed: (pattern, detail) pairs; empty when it passed.

    The pattern is a short, groupable label (counted in the report's failure-pattern table);
    the detail says what exactly went wrong for this item."""
    o = outcome
    out: list[tuple[str, str]] = []
    if o.error:
        out.append(("error", o.error))
    if not o.route_ok:
        out.append((f"route {o.expected_route} → {o.route}", f"expected {o.expected_route}, got {o.route}"))
    if o.expected_route == "answer" and o.n_gold and metrics.hit_at(o.relevance, 5) == 0.0:
        out.append(("gold not retrieved in top 5", f"first gold hit at rank {_first_hit(o.relevance)}"))
    if o.route_ok and o.expected_route in ("answer", "desk") and o.n_gold and not any(c.hits_gold for c in o.citations):
        what = "no citations" if not o.citations else f"{len(o.citations)} citation(s), none covers a gold quote"
        out.append(("cites no gold quote", what))
    if o.route_ok and o.facts_ok is False:
        missing = [" / ".join(f) for f in o.facts if not metrics.facts_present(o.answer, [f])]
        out.append(("required fact missing", "missing: " + "; ".join(missing)))
    if o.expected_route == "desk" and o.route == "desk" and set(o.types) != set(o.expected_types):
        out.append(("wrong request types", f"expected {sorted(o.expected_types)}, got {sorted(o.types)}"))
    bad = [c for c in o.citations if not c.verbatim]
    if bad:
        out.append(("citation not verbatim", f"{len(bad)} citation(s) differ from the policy text at their offsets"))
    if o.isolation_violations:
        out.append(("cites another company", f"{o.isolation_violations} citation(s) from another company's policy"))
    return out


def _first_hit(rels: Sequence[int]) -> str:
    for i, r in enumerate(rels):
        if r >= 0:
            return str(i + 1)
    return "none"


def failure_patterns(outcomes: Sequence[ItemOutcome]) -> list[dict[str, Any]]:
    """Failure patterns by frequency, each with the ids of the items that show it."""
    ids: dict[str, list[str]] = {}
    for o in outcomes:
        for pattern, _ in failure_reasons(o):
            ids.setdefault(pattern, []).append(o.id)
    return [{"pattern": p, "count": len(v), "ids": v} for p, v in sorted(ids.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


def by_topic(outcomes: Sequence[ItemOutcome]) -> dict[str, dict[str, Any]]:
    """Per topic: items, route accuracy, and (over answer items with gold quotes) hit@1/hit@5/MRR@10."""
    out: dict[str, dict[str, Any]] = {}
    for topic in sorted({o.topic for o in outcomes}):
        group = [o for o in outcomes if o.topic == topic]
        ranked = [o for o in group if o.expected_route == "answer" and o.n_gold]
        n = len(ranked)
        out[topic] = {
            "items": len(group),
            "route_accuracy": sum(o.route_ok for o in group) / len(group),
            "retrieval_items": n,
            "hit@1": sum(metrics.hit_at(o.relevance, 1) for o in ranked) / n if n else None,
            "hit@5": sum(metrics.hit_at(o.relevance, 5) for o in ranked) / n if n else None,
            "mrr@10": sum(metrics.mrr_at(o.relevance, 10) for o in ranked) / n if n else None,
        }
    return out


def item_record(outcome: ItemOutcome, item: EvalItem, phrasing: bool = False) -> dict[str, Any]:
    """One item's outcome for results.json: everything asked, expected and answered (with `phrasing`,
    an `eval --llm` run, also what phrasing wrote and the verdict on each sentence)."""
    data = asdict(outcome)
    if not phrasing:
        del data["phrasing"]  # a run without --llm records what it always did
    data.update(
        turns=list(item.turns),
        gold_quotes=list(item.gold_quotes),
        route_ok=outcome.route_ok,
        hit_at_5=metrics.hit_at(outcome.relevance, 5) if outcome.n_gold else None,
        failures=[{"pattern": p, "detail": d} for p, d in failure_reasons(outcome)],
    )
    return data


# -- console ---------------------------------------------------------------------------------


def _f(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def latency_text(value: float | None, spec: str = "") -> str:
    """A latency in ms as `format(value, spec)`, or "-" where nothing was timed (a route no item took)."""
    return "-" if value is None else format(value, spec)


def console_suite(
    name: str,
    path: str,
    summary: dict[str, Any],
    failures: Sequence[str],
    min_scores: dict[str, float],
    half: str = "all",
    corpus: str = "",
) -> str:
    """The console table of one suite run (of one half of it, or all items)."""
    r, c, a, g = summary["retrieval"], summary["citations"], summary["answers"], summary["routing"]
    which = "all items" if half == "all" else f"{half} half"
    lines = [
        f"== suite {name} ({path}), {which}: {summary['items']} items, {summary['errors']} errors"
        + (f"\n  corpus {corpus}" if corpus else ""),
        f"  retrieval  (n={r['items']:>3})  Hit@1 {_f(r['hit@1'])}  Hit@5 {_f(r['hit@5'])}  Recall@5 {_f(r['recall@5'])}  "
        f"MRR@10 {_f(r['mrr@10'])}  nDCG@10 {_f(r['ndcg@10'])}",
        f"  citations  (n={c['items']:>3})  cites-gold {_f(c['cites_gold'])}  precision {_f(c['precision'])}  "
        f"quote fidelity {_f(c['quote_fidelity'])}  isolation violations {c['isolation_violations']}",
        f"  answers    (n={a['items']:>3})  fact accuracy {_f(a['fact_accuracy'])}",
        f"  routing    (n={summary['items']:>3})  accuracy {_f(g['accuracy'])}  request-type accuracy {_f(g['request_type_accuracy'])}",
        f"    {'route':<10}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}",
    ]
    for route, s in g["per_route"].items():
        lines.append(f"    {route:<10}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}{s['support']:>9}")
    lines.append("    confusion (rows expected, columns predicted)")
    lines.append("    " + " " * 10 + "".join(f"{p:>9}" for p in ROUTES))
    for e in ROUTES:
        lines.append(f"    {e:<10}" + "".join(f"{g['confusion'][e][p]:>9}" for p in ROUTES))
    ab = summary["abstention"]
    lines.append(
        f"  abstention  correct answer {ab['correct_answer']}  correct abstention {ab['correct_abstention']}  "
        f"over-refusal {ab['over_refusal']}  unsupported answer {ab['unsupported_answer']}"
    )
    lat = summary["latency_ms"]
    lines.append(
        "  latency ms  "
        + "  ".join(
            f"{rt} p50 {latency_text(v['p50'], '.0f')} p95 {latency_text(v['p95'], '.0f')} (n={v['n']})" for rt, v in lat.items() if v["n"]
        )
    )
    if "phrasing" in summary:
        lines.extend(console_phrasing(summary["phrasing"]))
    if min_scores:
        lines.append("  min_scores " + ("PASS" if not failures else "FAIL") + f" ({len(min_scores)} declared)")
        lines.extend(f"    FAIL {f}" for f in failures)
    return "\n".join(lines)


def console_phrasing(p: dict[str, Any]) -> list[str]:
    """The console lines on generated summaries (`eval --llm`)."""
    dropped = "  ".join(f"{r} {_f(v)}" for r, v in p["dropped"].items())
    failed = "  ".join(f"{r} {n}" for r, n in p["failures"].items())
    return [
        f"  phrasing   (n={p['replies']:>3})  sentences {p['sentences']}  kept {_f(p['kept'])}  dropped: {dropped}",
        f"             summaries {p['summaries']} (all dropped: {p['omitted']})  phraser failures: {failed}",
        f"             summary fact accuracy {_f(p['summary_fact_accuracy'])} (n={p['fact_items']} answer items with facts)",
    ]


def console_patterns(patterns: Sequence[dict[str, Any]], top: int = 8) -> str:
    """The most common failure patterns, with a few example ids."""
    if not patterns:
        return "  failures   none"
    lines = ["  most common failure patterns"]
    for p in patterns[:top]:
        lines.append(f"    {p['count']:>4}  {p['pattern']:<32} e.g. {', '.join(p['ids'][:3])}")
    return "\n".join(lines)


# -- charts ----------------------------------------------------------------------------------


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def suite_charts(summary: dict[str, Any], topics: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Base64 PNGs: per-route P/R/F1, confusion heatmap, latency per route, hit@k by topic."""
    plt = _pyplot()
    charts: dict[str, str] = {}
    per_route = summary["routing"]["per_route"]

    fig, ax = plt.subplots(figsize=(6, 3.4))
    x = range(len(ROUTES))
    for offset, key in ((-0.27, "precision"), (0.0, "recall"), (0.27, "f1")):
        ax.bar([i + offset for i in x], [per_route[r][key] for r in ROUTES], 0.27, label=key)
    ax.set_xticks(list(x), [f"{r}\n(n={per_route[r]['support']})" for r in ROUTES])
    ax.set_ylim(0, 1.05)
    ax.set_title("Routing: precision / recall / F1 per route")
    ax.legend(loc="lower right", fontsize=8)
    charts["Routing P/R/F1 per route"] = _png(fig)

    conf = summary["routing"]["confusion"]
    fig, ax = plt.subplots(figsize=(4.8, 4))
    grid = [[conf[e][p] for p in ROUTES] for e in ROUTES]
    ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(len(ROUTES)), ROUTES)
    ax.set_yticks(range(len(ROUTES)), ROUTES)
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    top = max((v for row in grid for v in row), default=0)
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")
    ax.set_title("Routing confusion matrix")
    charts["Routing confusion matrix"] = _png(fig)

    lat = summary["latency_ms"]
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for offset, key in ((-0.2, "p50"), (0.2, "p95")):
        # No bar for a route no item took (NaN), rather than a bar at 0 ms.
        ax.bar([i + offset for i in x], [math.nan if lat[r][key] is None else lat[r][key] for r in ROUTES], 0.4, label=key)
    ax.set_xticks(list(x), [f"{r}\n(n={lat[r]['n']})" for r in ROUTES])
    ax.set_ylabel("ms (last turn)")
    ax.set_title("Latency per route (actual route)")
    ax.legend(fontsize=8)
    charts["Latency per route"] = _png(fig)

    ranked = [(t, v) for t, v in topics.items() if v["retrieval_items"]]
    if ranked:
        fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(ranked) + 2), 3.8))
        x2 = range(len(ranked))
        ax.bar([i - 0.2 for i in x2], [v["hit@1"] for _, v in ranked], 0.4, label="hit@1")
        ax.bar([i + 0.2 for i in x2], [v["hit@5"] for _, v in ranked], 0.4, label="hit@5")
        ax.set_xticks(list(x2), [f"{t} ({v['retrieval_items']})" for t, v in ranked], rotation=60, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title("Retrieval hit@k by topic (answer items with gold quotes)")
        ax.legend(fontsize=8)
        charts["Hit@k by topic"] = _png(fig)
    return charts


def squad_charts(summary: dict[str, Any]) -> dict[str, str]:
    """Base64 PNGs for a SQuAD run: answer-span hit@k / MRR / quoted, and the routes taken."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    keys = ["hit@1", "hit@3", "hit@5", "mrr@10", "answer_quoted"]
    axes[0].bar(keys, [summary[k] for k in keys], color="tab:blue")
    axes[0].set_ylim(0, 1.05)
    axes[0].set_title("Answer-span retrieval")
    routes = summary["routes"]
    axes[1].bar(list(routes), list(routes.values()), color="tab:orange")
    axes[1].set_title("Routes taken")
    return {"SQuAD answer spans": _png(fig)}


# -- HTML ------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1200px;color:#222;line-height:1.4}
h1{font-size:1.6em} h2{border-bottom:2px solid #ccd;padding-bottom:4px;margin-top:2em} h3{margin-top:1.4em}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccd;padding:3px 8px;text-align:right;font-size:.92em}
th{background:#eef} td.l,th.l{text-align:left}
.pass{color:#070;font-weight:bold} .fail{color:#b00;font-weight:bold}
.charts img{max-width:100%;border:1px solid #dde;margin:4px}
.item{border:1px solid #dde;border-radius:6px;padding:8px 12px;margin:10px 0;background:#fcfcff}
.item h4{margin:0 0 6px 0;font-family:monospace}
.tag{display:inline-block;background:#fde;color:#802;border-radius:4px;padding:0 6px;margin:0 4px 2px 0;font-size:.85em}
.answer{white-space:pre-wrap;background:#f4f4f4;padding:6px;border-radius:4px;font-size:.92em}
.quote{white-space:pre-wrap;font-size:.9em}
.ok{color:#070} .bad{color:#b00}
dl{display:grid;grid-template-columns:150px 1fr;gap:2px 10px;margin:6px 0} dt{font-weight:bold;color:#556} dd{margin:0}
"""


def e(value: Any) -> str:
    """HTML-escaped text (quotes too)."""
    return html.escape(str(value), quote=True)


def _metric_table(rows: Sequence[tuple[str, Any, str]]) -> str:
    body = "".join(f"<tr><td class=l>{e(n)}</td><td>{e(_f(v))}</td><td class=l>{e(note)}</td></tr>" for n, v, note in rows)
    return f"<table><tr><th class=l>metric</th><th>value</th><th class=l>over</th></tr>{body}</table>"


def _charts_html(charts: dict[str, str]) -> str:
    imgs = "".join(f'<img alt="{e(t)}" title="{e(t)}" src="data:image/png;base64,{b}">' for t, b in charts.items())
    return f"<div class=charts>{imgs}</div>"


def suite_html(run: dict[str, Any], items: dict[str, EvalItem], outcomes: Sequence[ItemOutcome]) -> str:
    """One suite's section of report.html."""
    s = run["summary"]
    r, c, a, g = s["retrieval"], s["citations"], s["answers"], s["routing"]
    parts = [f"<h2>Suite {e(run['name'])} <small>({e(run['path'])})</small></h2>"]
    if run.get("description"):
        parts.append(f"<p>{e(run['description'])}</p>")
    which = "all items" if run.get("half", "all") == "all" else f"{run['half']} half"
    where = f" Corpus: {e(run['corpus'])}." if run.get("corpus") else ""
    parts.append(f"<p>{e(which)}: {s['items']} items, {s['errors']} errors.{where}</p>")
    if run["min_scores"]:
        verdict = "<span class=pass>PASS</span>" if not run["min_score_failures"] else "<span class=fail>FAIL</span>"
        rows = "".join(f"<tr><td class=l>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in run["min_scores"].items())
        fails = "".join(f"<li class=fail>{e(f)}</li>" for f in run["min_score_failures"])
        parts.append(f"<h3>min_scores: {verdict}</h3><table><tr><th class=l>metric</th><th>minimum</th></tr>{rows}</table><ul>{fails}</ul>")
    parts.append("<h3>Headline metrics</h3>")
    parts.append(
        _metric_table(
            [
                ("Hit@1", r["hit@1"], f"{r['items']} answer items with gold quotes"),
                ("Hit@5", r["hit@5"], ""),
                ("Recall@5", r["recall@5"], ""),
                ("MRR@10", r["mrr@10"], ""),
                ("nDCG@10", r["ndcg@10"], ""),
                ("cites-gold", c["cites_gold"], f"{c['items']} correctly routed answer/desk items with gold quotes"),
                ("citation precision", c["precision"], "their citations"),
                ("quote fidelity", c["quote_fidelity"], "every citation returned"),
                ("isolation violations", c["isolation_violations"], "citations from another company (count)"),
                ("fact accuracy", a["fact_accuracy"], f"{a['items']} items with required facts"),
                ("routing accuracy", g["accuracy"], f"all {s['items']} items"),
                ("request-type accuracy", g["request_type_accuracy"], "desk items routed to the desk"),
            ]
        )
    )
    if "phrasing" in s:
        parts.append(_phrasing_html(s["phrasing"]))
    parts.append(_charts_html(run["charts"]))
    rows = "".join(
        f"<tr><td class=l>{e(rt)}</td><td>{v['precision']:.3f}</td><td>{v['recall']:.3f}</td>"
        f"<td>{v['f1']:.3f}</td><td>{v['support']}</td></tr>"
        for rt, v in g["per_route"].items()
    )
    parts.append(
        "<h3>Routing per route</h3><table><tr><th "
        f"class=l>route</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>{rows}</table>"
    )
    head = "".join(f"<th>{e(p)}</th>" for p in ROUTES)
    rows = "".join(f"<tr><th class=l>{e(x)}</th>" + "".join(f"<td>{g['confusion'][x][p]}</td>" for p in ROUTES) + "</tr>" for x in ROUTES)
    parts.append(f"<h3>Confusion (rows expected, columns predicted)</h3><table><tr><th></th>{head}</tr>{rows}</table>")
    ab = s["abstention"]
    parts.append(
        "<h3>Abstention matrix</h3><table><tr><th></th><th>assistant answered</th><th>assistant did not answer</th></tr>"
        f"<tr><th class=l>answerable (expected answer)</th><td>{ab['correct_answer']} "
        f"correct answer</td><td>{ab['over_refusal']} over-refusal</td></tr>"
        f"<tr><th class=l>expected abstain</th><td>{ab['unsupported_answer']} unsupported "
        f"answer</td><td>{ab['correct_abstention']} correct abstention</td></tr></table>"
        "<p><small>Over-refusal: any other route than <code>answer</code> on an answerable item; unsupported answer: any other route than "
        "<code>abstain</code> on an item to abstain on.</small></p>"
    )
    rows = "".join(
        f"<tr><td class=l>{e(rt)}</td><td>{latency_text(v['p50'])}</td><td>{latency_text(v['p95'])}</td><td>{v['n']}</td></tr>"
        for rt, v in s["latency_ms"].items()
    )
    parts.append(
        "<h3>Latency (ms, last turn, by actual route)</h3><table><tr><th "
        f"class=l>route</th><th>p50</th><th>p95</th><th>n</th></tr>{rows}</table>"
    )
    rows = "".join(
        f"<tr><td class=l>{e(t)}</td><td>{v['items']}</td><td>{_f(v['route_accuracy'])}</td><td>{v['retrieval_items']}</td>"
        f"<td>{_f(v['hit@1'])}</td><td>{_f(v['hit@5'])}</td><td>{_f(v['mrr@10'])}</td></tr>"
        for t, v in run["by_topic"].items()
    )
    parts.append(
        "<h3>By topic</h3><table><tr><th class=l>topic</th><th>items</th><th>route acc.</th><th>ranked items</th>"
        f"<th>hit@1</th><th>hit@5</th><th>MRR@10</th></tr>{rows}</table>"
    )
    pats = run["failure_patterns"]
    rows = "".join(
        f"<tr><td class=l>{e(p['pattern'])}</td><td>{p['count']}</td><td "
        f"class=l>{e(', '.join(p['ids'][:6]))}{' …' if len(p['ids']) > 6 else ''}</td></tr>"
        for p in pats
    )
    parts.append(f"<h3>Failure patterns</h3><table><tr><th class=l>pattern</th><th>items</th><th class=l>examples</th></tr>{rows}</table>")
    failed = [o for o in outcomes if failure_reasons(o)]
    parts.append(f"<h3>Failures ({len(failed)} of {len(outcomes)} items)</h3>")
    parts.extend(_failure_html(o, items[o.id]) for o in failed)
    return "\n".join(parts)


def _phrasing_html(p: dict[str, Any]) -> str:
    """The section on generated summaries (`eval --llm`)."""
    n = f"{p['sentences']} sentences written"
    rows = [
        ("replies phrased", p["replies"], "answers the phraser was asked for"),
        ("summaries shown", p["summaries"], f"{p['omitted']} with every sentence dropped"),
        ("sentences kept", p["kept"], n),
        *((f"dropped: {r}", v, n) for r, v in p["dropped"].items()),
        *((f"phraser failure: {r}", v, "replies (count)") for r, v in p["failures"].items()),
        ("summary fact accuracy", p["summary_fact_accuracy"], f"{p['fact_items']} answer items with facts, summary text only"),
    ]
    return "<h3>Generated summaries</h3>" + _metric_table(rows)


def _failure_html(o: ItemOutcome, item: EvalItem) -> str:
    tags = "".join(f"<span class=tag>{e(p)}</span>" for p, _ in failure_reasons(o))
    details = "".join(f"<li>{e(p)}: {e(d)}</li>" for p, d in failure_reasons(o))
    turns = "".join(f"<li>{e(t)}</li>" for t in item.turns)
    facts = "; ".join(" / ".join(f) for f in item.facts) or "—"
    golds = "".join(f"<li class=quote>{e(q)}</li>" for q in item.gold_quotes) or "<li>—</li>"
    cites = (
        "".join(
            f"<li class=quote>[{e(c.company)} {e(c.doc_id)} {c.start}–{c.end} §{e(c.section)}] "
            f"<span class={'ok' if c.hits_gold else 'bad'}>{'hits gold' if c.hits_gold else 'no gold'}</span>"
            f"{'' if c.verbatim else ' <span class=bad>NOT VERBATIM</span>'}<br>{e(c.text)}</li>"
            for c in o.citations
        )
        or "<li>—</li>"
    )
    types = ""
    if o.expected_types or o.types:
        types = f"<dt>request types</dt><dd>expected {e(', '.join(o.expected_types) or '—')}; got {e(', '.join(o.types) or '—')}</dd>"
    return (
        f'<div class=item id="item-{e(o.id)}"><h4>{e(o.id)}</h4>{tags}'
        f"<dl><dt>company</dt><dd>{e(item.company or '(none given)')} → {e(o.company or '—')}</dd>"
        f"<dt>topic / tags</dt><dd>{e(o.topic)} / {e(', '.join(o.tags) or '—')}</dd>"
        f"<dt>question</dt><dd><ol>{turns}</ol></dd>"
        f"<dt>route</dt><dd>expected <b>{e(o.expected_route)}</b>, got <b>{e(o.route)}</b></dd>"
        f"<dt>expected facts</dt><dd>{e(facts)}</dd>{types}"
        f"<dt>gold quotes</dt><dd><ul>{golds}</ul></dd>"
        f"<dt>answer</dt><dd><div class=answer>{e(o.answer or '(empty)')}</div></dd>"
        f"<dt>citations</dt><dd><ul>{cites}</ul></dd>"
        f"<dt>why failed</dt><dd><ul>{details}</ul></dd></dl></div>"
    )


def squad_html(run: dict[str, Any], max_misses: int = 150) -> str:
    """One SQuAD file's section of report.html."""
    s = run["summary"]
    parts = [f"<h2>SQuAD {e(run['name'])} <small>({e(run['path'])})</small></h2>"]
    parts.append(
        f"<p>{s['policies']} policies, {s['questions']} questions asked ({s['skipped_questions']} skipped: no answer offset matched), "
        f"{s['answer_mismatches']} of {s['answers']} answers had offsets that did not match their text; {s['errors']} errors.</p>"
    )
    parts.append(
        _metric_table(
            [
                ("answer-span Hit@1", s["hit@1"], "questions asked"),
                ("answer-span Hit@3", s["hit@3"], ""),
                ("answer-span Hit@5", s["hit@5"], ""),
                ("MRR@10", s["mrr@10"], ""),
                ("answer quoted in reply", s["answer_quoted"], ""),
                ("latency p50 ms", s["latency_ms"]["p50"], ""),
                ("latency p95 ms", s["latency_ms"]["p95"], ""),
            ]
        )
    )
    parts.append(_charts_html(run["charts"]))
    misses = [o for o in run["items"] if o["rank"] is None or o["rank"] > 5]
    parts.append(f"<h3>Misses: answer span not in the top 5 ({len(misses)} of {len(run['items'])})</h3>")
    if len(misses) > max_misses:
        parts.append(f"<p>Showing the first {max_misses}; all are in results.json.</p>")
    for o in misses[:max_misses]:
        top = "".join(f"<li class=quote>{e(t)}</li>" for t in o["top_texts"][:3]) or "<li>—</li>"
        parts.append(
            f"<div class=item><h4>{e(o['id'])}</h4><span class=tag>{e('rank ' + str(o['rank']) if o['rank'] else 'not retrieved')}</span>"
            f"<dl><dt>policy</dt><dd>{e(o['company'])}</dd><dt>question</dt><dd>{e(o['question'])}</dd>"
            f"<dt>gold answers</dt><dd>{e(' | '.join(a['text'] for a in o['answers']))}</dd>"
            f"<dt>route</dt><dd>{e(o['route'])}</dd><dt>answer</dt><dd><div class=answer>{e(o['answer'] or '(empty)')}</div></dd>"
            f"<dt>top retrieved</dt><dd><ol>{top}</ol></dd></dl></div>"
        )
    return "\n".join(parts)


def page(title: str, meta: dict[str, Any], sections: Sequence[str]) -> str:
    """The complete, self-contained report.html."""
    rows = "".join(f"<tr><td class=l>{e(k)}</td><td class=l>{e(v)}</td></tr>" for k, v in meta.items())
    toc = '<p><a href="#">top</a></p>'
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta name=viewport content="width=device-width,initial-scale=1"><title>{e(title)}</title><style>{CSS}</style></head>'
        f"<body><h1>{e(title)}</h1><table>{rows}</table>{''.join(sections)}{toc}</body></html>"
    )
