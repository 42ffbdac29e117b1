"""Import speed: a generated 100-episode 剧本 (~1 MB) → parse + breakdown + database write.

Prints each stage, shots/s, and the ratio against a baseline measured in the same run: the
same number of shot rows bulk-inserted with the sqlite3 module (the least any import must do).
Goal: the whole import ≤ 1.0 s on a 2-core machine (it was 1.3 s before the import paused the
cycle collector).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from shotcraft.projects import Project  # noqa: E402
from shotcraft.storyboard import breakdown, parse_script  # noqa: E402

PEOPLE = ["顾言", "林晚", "苏瑶", "陈默", "秘书"]
LINES = [
    "你以为我会就这样放过你？三年前你欠下的，今天一分不少都要还回来。",
    "三年前的事情，我一直都记得，一刻也没有忘记，你最好也别忘了。",
    "签了这份合同，你就是顾太太，外面那些人再也不敢动你一根手指。",
    "我不需要你的同情，更不需要你的施舍，我今天来只是为了拿回属于我的东西。",
    "今晚的发布会，所有人都在等你，你要是敢不来，后果自己承担。",
]
ACTIONS = [
    "△{a}推门而入，屋内的灯光一下子暗了下来，所有人都停下手里的动作，齐刷刷地看向门口。",
    "△{a}缓缓抬头，看见{b}站在门口，雨水顺着{b}的发梢滴落在昂贵的地毯上。",
    "△{a}把文件摔在桌上，纸张散落一地，{b}却连眼皮都没有抬一下，只是慢慢地端起了咖啡。",
    "△{a}的手机突然响起，屏幕上跳出一个陌生号码，{a}犹豫了一下，还是按下了接听键。",
    "△窗外霓虹闪烁，车流如织，{a}站在落地窗前，背影在玻璃上投下一道孤独的剪影。",
]


def generate(episodes: int, scenes: int = 5, beats: int = 5) -> str:
    """A 剧本 shaped like real vertical dramas: ~10 KB an episode, 5 scenes of 5 beats."""
    out = ["《契约新娘·长篇》", ""]
    for ep in range(1, episodes + 1):
        out += [f"第{ep}集", ""]
        for sc in range(1, scenes + 1):
            a, b = PEOPLE[(ep + sc) % 5], PEOPLE[(ep + sc + 1) % 5]
            time_word = "日" if sc % 2 else "夜"
            place = "内" if sc % 3 else "外"
            out += [f"{ep}-{sc} {time_word} {place} 顾氏集团·{sc}号会议室", f"人物：{a}、{b}"]
            for i in range(beats):
                out.append(ACTIONS[(ep + sc + i) % 5].format(a=a, b=b))
                out.append(f"{a}：{LINES[(ep + i) % 5]}")
                out.append(f"{b}（冷笑）：{LINES[(sc + i) % 5]}")
                if i % 3 == 2:
                    out.append(f"{a}OS：{LINES[(ep * sc) % 5]}")
            out.append("")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=100)
    args = parser.parse_args()
    text = generate(args.episodes)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "long.txt"
        script.write_text(text, encoding="utf-8")
        size_mb = script.stat().st_size / 1e6

        t0 = time.perf_counter()
        parsed = parse_script(text, path=str(script))
        t1 = time.perf_counter()
        board = breakdown(parsed, fps=30)
        t2 = time.perf_counter()
        shots = board.shots()

        project = Project.create(Path(tmp) / "p")
        t3 = time.perf_counter()
        report = project.import_script(script)
        t4 = time.perf_counter()

        # baseline: bulk-insert the same rows with plain sqlite3 (no parsing, no models)
        rows = [(s.id, s.episode, s.scene_id, s.order, s.prompt, json.dumps([d.model_dump(mode="json") for d in s.dialogue]))
                for s in shots]
        conn = sqlite3.connect(Path(tmp) / "baseline.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE shot (id TEXT PRIMARY KEY, episode INT, scene TEXT, ord INT, prompt TEXT, dialogue TEXT)")
        b0 = time.perf_counter()
        with conn:
            conn.executemany("INSERT INTO shot VALUES (?,?,?,?,?,?)", rows)
        b1 = time.perf_counter()
        conn.close()

    full = t4 - t3
    print(f"script: {args.episodes} episodes, {size_mb:.2f} MB, {report.scenes} scenes, {report.shots} shots")
    print(f"parse            {t1 - t0:7.3f} s")
    print(f"breakdown        {t2 - t1:7.3f} s")
    print(f"full import      {full:7.3f} s   ({report.shots / full:,.0f} shots/s)   goal ≤ 1.0 s")
    print(f"baseline insert  {b1 - b0:7.3f} s   (sqlite3 executemany of the same rows)")
    print(f"ratio full import / baseline insert: {full / (b1 - b0):.1f}×")


if __name__ == "__main__":
    main()
