"""Call the iad-r1 reward server from Python with the standard library only.

Start the server first:  npx iad-r1-rewards serve --port 8000
Then:                     python3 reward_client.py http://127.0.0.1:8000
"""
import json
import sys
import urllib.request


def post(url, payload):
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def score(base_url, completions, solutions):
    """Return {"rewards": [...], "components": {"consistency": [...], ...}}."""
    return post(f"{base_url}/score", {"completions": completions, "solutions": solutions})


def openrlhf_get_reward(base_url, queries, prompts, labels):
    """OpenRLHF's remote reward protocol."""
    return post(f"{base_url}/get_reward", {"query": queries, "prompts": prompts, "labels": labels})


if __name__ == "__main__":
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    result = score(
        base,
        ["<think>Uniform weave.</think><answer>No</answer>",
         "<think>A dark spot.</think><location>top left</location><type>stain</type><answer>Yes</answer>"],
        ["<answer>No</answer>", "<location>upper left</location><type>contamination</type><answer>Yes</answer>"],
    )
    print(json.dumps(result))
    prompt = "You are an expert in detecting defects in image."
    print(json.dumps(openrlhf_get_reward(base, [prompt + "<think>a</think><answer>no</answer>"], [prompt], ["<answer>No</answer>"])))
