"""The one stylesheet of the dashboard pages, served at `/_emulator/dashboard/style.css`.

Small on purpose: a header bar with the way back and the emulated clock, tables, status
badges, a progress bar and a frame for the loss chart, so every service's pages read alike.
"""

from __future__ import annotations

STYLESHEET = """\
:root { --ink: #1d2433; --muted: #5b6475; --line: #d9dee7; --page: #f5f6f8; --accent: #0b6bcb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--page); }
header { background: var(--ink); color: #fff; padding: 10px 24px; display: flex; flex-wrap: wrap;
         justify-content: space-between; align-items: baseline; gap: 4px 24px; }
header a { color: #cfe3ff; text-decoration: none; }
header a:hover { text-decoration: underline; }
nav .here { color: #fff; font-weight: 600; }
nav .sep { color: #8d96a8; margin: 0 6px; }
header .clock { font-size: 12px; color: #c4cad6; }
main, footer { max-width: 1180px; margin: 0 auto; padding: 12px 24px; }
footer { color: var(--muted); font-size: 12px; padding-bottom: 28px; }
h1 { font-size: 21px; margin: 8px 0 12px; display: flex; flex-wrap: wrap; align-items: center;
     gap: 10px; overflow-wrap: anywhere; }
h2 { font-size: 16px; margin: 22px 0 8px; }
a { color: var(--accent); }
p { margin: 6px 0; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); width: 100%;
        margin: 4px 0 12px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #eef1f5; font-weight: 600; white-space: nowrap; overflow-wrap: normal; }
.time { white-space: nowrap; }
table.fields th { width: 210px; }
td.empty { color: var(--muted); font-style: italic; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 600;
         background: #e8ebf0; color: #3b4454; white-space: nowrap; }
.badge.ok { background: #dcf5e3; color: #17693a; }
.badge.bad { background: #fde2e1; color: #a1221b; }
.badge.live { background: #dcebff; color: #0b57a4; }
.badge.off { background: #eceef2; color: #5b6475; }
.progress { display: flex; align-items: center; gap: 12px; margin: 8px 0; flex-wrap: wrap; }
.bar { width: 320px; height: 12px; background: #e1e5ec; border-radius: 6px; overflow: hidden; }
.bar span { display: block; height: 100%; background: var(--accent); }
.note { color: var(--muted); }
.problem { background: #fff4f3; border: 1px solid #f3c4c0; border-radius: 6px; padding: 8px 12px; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere;
      font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
pre.content { background: #fff; border: 1px solid var(--line); padding: 10px; max-height: 520px;
              overflow: auto; }
figure.chart { background: #fff; border: 1px solid var(--line); margin: 6px 0 14px; padding: 6px;
               display: inline-block; max-width: 100%; }
figure.chart svg { max-width: 100%; height: auto; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 14px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px;
        min-width: 220px; flex: 1; }
.card h2 { margin: 0 0 4px; font-size: 16px; }
.card .count { font-size: 26px; font-weight: 600; }
"""
