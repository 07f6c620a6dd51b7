"""Independent reference for the rewards cross-check test.

Reads {"similarity": [[a, b], ...], "consistency": [text, ...], "tags": [[text, tag], ...],
"normalise": [text, ...], "type": [[pred, truth], ...]} as JSON on stdin and prints the same
keys with Python's results. Uses only the standard library: difflib and re are the ground truth
docs/METHOD.md names; the type reward below is written from docs/METHOD.md's step list.
"""
import difflib
import json
import re
import sys

NORMAL = re.compile(r"^(?!.*<location>)(?!.*<type>).*<think>.*?</think><answer>.*?</answer>.*$", re.DOTALL)
ANOMALOUS = re.compile(r".*<think>.*?</think><location>.*?</location><type>.*?</type><answer>.*?</answer>.*", re.DOTALL)

TAXONOMY = [
    ("Contamination", "s", ["surface contamination", "stain", "dirt", "impurity", "color anomaly"]),
    ("Presence of foreign objects", "s", ["foreign object", "foreign body", "debris", "contaminant object",
                                          "extraneous material", "foreign element", "foreign matter", "unwanted object"]),
    ("Scratch", "s", ["surface scratch", "scratch mark", "linear scratch", "score mark", "linear anomaly"]),
    ("Missing parts", "s", ["missing part", "surface notch", "notch", "gap", "chip", "surface discontinuity"]),
    ("Deformation", "t", ["shape distortion", "warping", "bending", "twisting", "shape deviation",
                          "geometric distortion", "irregularity", "bent component"]),
    ("Hole", "t", ["opening", "perforation", "puncture", "cavity", "void", "aperture", "penetration defect", "through-hole"]),
    ("Damage", "t", ["structural damage", "breakage", "fracture", "rupture", "deterioration", "material damage", "surface damage"]),
    ("Abrasion", "t", ["wear", "grinding damage", "surface erosion", "wear mark", "surface wear"]),
]
GROUP_TEXTS = {"surface anomalies": "s", "structural anomalies": "t", "surface anomaly": "s", "structural anomaly": "t"}


def ratio(a, b):
    return difflib.SequenceMatcher(None, a, b).ratio()


def normalise(text):
    text = re.sub(r"\s+", " ", text.lower().strip())
    return re.sub(r"[^\w\s-]", "", text)


KEYWORDS = [(normalise(word), name, group) for name, group, syns in TAXONOMY for word in [name] + syns]


def category(text):
    for word, name, group in KEYWORDS:
        if word == text:
            return name, group, 1.0
    best, best_score = None, 0.0
    for word, name, group in KEYWORDS:
        if word in text or text in word:
            score = min(len(word), len(text)) / max(len(word), len(text))
            if score > best_score:
                best, best_score = (name, group), score
    if best:
        return best[0], best[1], best_score
    best, best_score = None, 0.0
    for word, name, group in KEYWORDS:
        score = ratio(text, word)
        if score >= 0.7 and score > best_score:
            best, best_score = (name, group), score
    return (best[0], best[1], best_score) if best else None


def type_reward(pred, truth):
    if not pred or not truth:
        return 0.0
    p, t = normalise(pred), normalise(truth)
    p_named, t_named = GROUP_TEXTS.get(p), GROUP_TEXTS.get(t)
    pc, tc = category(p), category(t)
    pg = p_named or (pc[1] if pc else None)
    tg = t_named or (tc[1] if tc else None)
    if pg and tg and pg != tg:
        return 0.0
    if p_named and not t_named and tg == p_named:
        return 0.3
    if t_named and not p_named and pg == t_named:
        return 0.3
    if p == t:
        return 1.0
    if p in t or t in p:
        return 0.85
    sim = ratio(p, t)
    if not pc or not tc:
        return sim * 0.4 if sim >= 0.7 else 0.0
    if pc[0] == tc[0]:
        return 0.6 + 0.25 * min(pc[2], tc[2])
    if pg == tg:
        return 0.3
    return sim * 0.4 if sim >= 0.7 else 0.0


def tag(text, name):
    m = re.search(rf"<{name}>(.*?)</{name}>", text)
    return m.group(1).strip().lower() if m else None


def main():
    cases = json.load(sys.stdin)
    json.dump(
        {
            "similarity": [ratio(a, b) for a, b in cases["similarity"]],
            "consistency": [[bool(NORMAL.fullmatch(t)), bool(ANOMALOUS.fullmatch(t))] for t in cases["consistency"]],
            "tags": [tag(t, n) for t, n in cases["tags"]],
            "normalise": [normalise(t) for t in cases["normalise"]],
            "type": [type_reward(p, t) for p, t in cases["type"]],
        },
        sys.stdout,
    )


main()
