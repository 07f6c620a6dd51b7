"""Thin shims that let Python RL engines use the iad-r1 reward server (standard library only).

Start the server:  npx iad-r1-rewards serve --port 8000 [--preset paper|reference]
Set IAD_R1_REWARD_URL if it is not at http://127.0.0.1:8000.

TRL / VLM-R1:  reward_funcs=trl_reward_funcs()      (four functions: consistency, answer, location, type)
verl:          custom_reward_function.path=iad_r1_rewards.py, name=compute_score
EasyR1:        reward function iad_r1_rewards.py:easyr1_compute_score (batch)
OpenRLHF:      --remote_rm_url http://127.0.0.1:8000/get_reward   (no shim needed)
"""
import json
import os
import urllib.request

BASE_URL = os.environ.get("IAD_R1_REWARD_URL", "http://127.0.0.1:8000")
COMPONENTS = ("consistency", "answer", "location", "type")


def _score(completions, solutions, base_url=None):
    body = json.dumps({"completions": list(completions), "solutions": list(solutions)}).encode("utf-8")
    request = urllib.request.Request(
        f"{base_url or BASE_URL}/score", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def trl_reward_funcs(base_url=None):
    """One function per component with TRL's signature (completions, solution, **kwargs) -> list[float].

    Completions may be strings or TRL's conversational lists of messages; the server reads either.
    """

    def make(name):
        def reward(completions, solution, **kwargs):
            return _score(completions, solution, base_url)["components"][name]

        reward.__name__ = f"iad_r1_{name}"
        return reward

    return [make(name) for name in COMPONENTS]


def trl_total_reward(completions, solution, **kwargs):
    """The whole SC-GRPO reward as one TRL reward function."""
    return _score(completions, solution)["rewards"]


def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    """verl's custom reward function: returns {"score": total, plus each component}."""
    result = _score([solution_str], [ground_truth])
    scores = {"score": result["rewards"][0]}
    scores.update({name: result["components"][name][0] for name in COMPONENTS})
    return scores


def easyr1_compute_score(reward_inputs):
    """EasyR1's batch reward function: [{"response", "ground_truth", ...}] -> [{"overall", ...}]."""
    result = _score([r["response"] for r in reward_inputs], [r["ground_truth"] for r in reward_inputs])
    return [
        dict(overall=total, **{name: result["components"][name][i] for name in COMPONENTS})
        for i, total in enumerate(result["rewards"])
    ]
