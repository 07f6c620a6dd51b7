"""Reward functions for Python RL engines, backed by the iad-r1 reward server (standard library only).

Start the server:  npx iad-r1-rewards serve --port 8000 [--preset paper|reference] [--reward-module my-reward.mjs]
Environment:       IAD_R1_REWARD_URL      (default http://127.0.0.1:8000)
                   IAD_R1_REWARD_TIMEOUT  seconds per attempt (default 60)
                   IAD_R1_REWARD_RETRIES  further attempts after a failed one (default 5)
                   IAD_R1_REWARD_BACKOFF  seconds before the first retry, doubling after each (default 0.5)

TRL / VLM-R1:  reward_funcs=trl_reward_funcs()           one function per component the server publishes,
               with GRPOConfig(reward_weights=trl_reward_weights()) so TRL's sum is the server's total;
               reward_funcs=async_trl_reward_funcs()     the same as coroutines (TRL awaits them concurrently)
verl:          custom_reward_function.path=iad_r1_rewards.py, name=compute_score   (naive, batch and reward-loop managers)
EasyR1:        worker.reward.reward_function=iad_r1_rewards.py:easyr1_compute_score (batch or sequential)
OpenRLHF:      --reward.remote_url http://127.0.0.1:8000/get_reward, or this file's reward_func as a .py reward

The component names are read from the server's GET /health, so a reward registered on the server with
--reward-module appears here without editing this file. The functions of one batch share one HTTP call.
When the server cannot be reached after the retries, TRL's functions return None for every completion
(TRL leaves such rewards out) and warn; every other entry point raises RewardServerError.
"""
import asyncio
import json
import math
import os
import threading
import time
import urllib.error
import urllib.request
import warnings

BASE_URL = os.environ.get("IAD_R1_REWARD_URL", "http://127.0.0.1:8000")
TIMEOUT = float(os.environ.get("IAD_R1_REWARD_TIMEOUT", "60"))
RETRIES = int(os.environ.get("IAD_R1_REWARD_RETRIES", "5"))
BACKOFF = float(os.environ.get("IAD_R1_REWARD_BACKOFF", "0.5"))

# EasyR1 reads these from the reward file (verl/workers/reward/function.py: REWARD_NAME, REWARD_TYPE);
# "batch" means easyr1_compute_score gets the whole batch in one call, hence one HTTP request.
REWARD_NAME = "iad-r1"
REWARD_TYPE = "batch"

# Statuses worth another attempt: the server is starting, overloaded or restarting.
_RETRYABLE = {429, 500, 502, 503, 504}


class RewardServerError(RuntimeError):
    """The reward server did not answer after the retries, refused the request, or answered something
    that is not a reward reply (wrong fields, wrong counts, values that are not finite numbers)."""


def _refuse_constant(name):
    # json accepts NaN and Infinity by default; a reward must be a finite number.
    raise ValueError(f"{name} is not a finite number")


def _number_list(value, count, where):
    if not isinstance(value, list) or len(value) != count:
        got = f"{len(value)} values" if isinstance(value, list) else type(value).__name__
        raise RewardServerError(f"{where}: expected a list of {count} numbers (one per completion), got {got}")
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise RewardServerError(f"{where}[{i}]: expected a finite number, got {v!r}")
    return value


def _checked_reply(reply, url, count, total_keys, columns_key):
    """The reply of /score or /get_reward, checked: each total and column a list of `count` finite numbers."""
    if not isinstance(reply, dict):
        raise RewardServerError(f"{url}: expected a JSON object, got {type(reply).__name__}")
    for key in total_keys:
        if key not in reply:
            raise RewardServerError(f"{url}: the reply has no {key!r} field")
        _number_list(reply[key], count, f"{url}: {key}")
    columns = reply.get(columns_key)
    if not isinstance(columns, dict):
        raise RewardServerError(f"{url}: the reply's {columns_key!r} is not an object of columns")
    for name, values in columns.items():
        _number_list(values, count, f"{url}: {columns_key}.{name}")
    return reply


def _url(base_url):
    return (base_url or BASE_URL).rstrip("/")


def _request(url, body=None):
    last = None
    for attempt in range(RETRIES + 1):
        if attempt:
            time.sleep(BACKOFF * 2 ** (attempt - 1))
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}, method="GET" if body is None else "POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                raw = response.read()
            try:
                return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
            except (UnicodeDecodeError, ValueError) as error:
                # A body cut off in transit (a proxy, a restart) may come whole next time.
                last = f"a reply that is not JSON ({error}): {raw[:200]!r}"
                continue
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:2000]
            if error.code not in _RETRYABLE:
                # A request the server rejects (bad shape, too large) is rejected again on retry.
                raise RewardServerError(f"{url} answered {error.code}: {detail}") from None
            last = f"HTTP {error.code}: {detail}"
        except (urllib.error.URLError, OSError) as error:
            last = str(getattr(error, "reason", error))
    raise RewardServerError(
        f"no answer from the iad-r1 reward server at {url} after {RETRIES + 1} attempts ({last}); "
        "start it with `npx iad-r1-rewards serve`, or point IAD_R1_REWARD_URL at it"
    )


_components = {}


def _health_components(base_url):
    url = _url(base_url)
    if url not in _components:
        health = _request(f"{url}/health")
        listed = health.get("components") if isinstance(health, dict) else None
        if not isinstance(listed, list) or not all(
            isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("weight"), (int, float)) for c in listed
        ):
            raise RewardServerError(f"{url}/health: expected components as a list of {{name, weight}}, got {listed!r:.200}")
        _components[url] = listed
    return _components[url]


def components(base_url=None):
    """The component names the server scores, in its order (from GET /health; cached per server)."""
    return [c["name"] for c in _health_components(base_url)]


def trl_reward_weights(base_url=None):
    """The server's weight of each component, in trl_reward_funcs' order: GRPOConfig(reward_weights=...).

    Component values come back gated but unweighted, so TRL's weighted sum of them equals the
    server's total only with these weights.
    """
    return [float(c["weight"]) for c in _health_components(base_url)]


# The functions TRL calls one after another for a batch carry the same completions and solutions;
# the first posts them, the others reuse its answer. A failure is reused for a few seconds only, so an
# outage is waited out once per batch and the same batch sent later reaches the server again.
_FAILURE_REUSE_SECONDS = 5.0
_last = {"key": None, "value": None, "at": 0.0}
_last_lock = threading.Lock()


def score_batch(completions, solutions, base_url=None, extras=None):
    """POST /score: {"rewards": [total…], "components": {name: [value…]}} for one batch.

    Completions may be strings or chat message lists (TRL's conversational format); extras, when
    given, is one JSON value per completion for rewards that read context (see the rewards README).
    """
    completions, solutions = list(completions), list(solutions)
    if len(completions) != len(solutions):
        raise ValueError(f"got {len(completions)} completions but {len(solutions)} solutions")
    payload = {"completions": completions, "solutions": solutions}
    if extras is not None:
        payload["extras"] = list(extras)
    url = f"{_url(base_url)}/score"
    body = json.dumps(payload).encode("utf-8")
    with _last_lock:
        fresh = not isinstance(_last["value"], Exception) or time.monotonic() - _last["at"] < _FAILURE_REUSE_SECONDS
        if _last["key"] == (url, body) and fresh:
            value = _last["value"]
        else:
            try:
                value = _checked_reply(_request(url, body), url, len(completions), ["rewards"], "components")
            except RewardServerError as error:
                value = error
            _last.update(key=(url, body), value=value, at=time.monotonic())
    if isinstance(value, Exception):
        raise value
    return value


def _column(result, name):
    columns = result["components"]
    if name not in columns:
        raise RewardServerError(f"the reply has no component {name!r} (it has {', '.join(columns) or 'none'})")
    return columns[name]


def _solutions(solution):
    if solution is None:
        raise TypeError(
            "iad-r1 rewards need the ground truth: give the dataset a `solution` column "
            "(@iad-r1/cot-schema's scGrpoToTrlRow writes one)"
        )
    return solution


def _skipped(what, error, count):
    # TRL treats None as "no reward for this sample" and leaves it out of the mean, so an outage
    # costs one batch's signal instead of the training run.
    warnings.warn(f"iad-r1 {what}: {error}; returning None (TRL leaves it out)", stacklevel=3)
    return [None] * count


def trl_reward_funcs(base_url=None, names=None):
    """One TRL reward function per component: (completions, solution, **kwargs) -> list[float | None].

    TRL passes prompts, completion_ids, trainer_state and every dataset column as keywords; they are
    accepted and ignored. Names default to the server's components (GET /health).
    """

    def make(name):
        def reward(completions, solution=None, **kwargs):
            solution = _solutions(solution)
            try:
                return _column(score_batch(completions, solution, base_url), name)
            except RewardServerError as error:
                return _skipped(f"reward {name}", error, len(completions))

        reward.__name__ = f"iad_r1_{name}"
        return reward

    return [make(name) for name in (names or components(base_url))]


def trl_total_reward(completions, solution=None, **kwargs):
    """The whole weighted reward as one TRL reward function (None on outage, as above)."""
    solution = _solutions(solution)
    try:
        return score_batch(completions, solution)["rewards"]
    except RewardServerError as error:
        return _skipped("total reward", error, len(completions))


# One in-flight request per batch for the coroutine variants: TRL gathers them concurrently, so the
# first creates the task and the others await the same one.
_tasks = {}


async def async_score_batch(completions, solutions, base_url=None, extras=None):
    """score_batch as a coroutine: the HTTP call runs in a thread, shared by callers of the same batch."""
    key = (_url(base_url), json.dumps([list(completions), list(solutions), extras]))
    loop = asyncio.get_running_loop()
    task = _tasks.get(key)
    if task is None or task.get_loop() is not loop:
        task = loop.create_task(asyncio.to_thread(score_batch, completions, solutions, base_url, extras))
        _tasks.clear()
        _tasks[key] = task
    return await task


def async_trl_reward_funcs(base_url=None, names=None):
    """trl_reward_funcs as coroutine functions, for trainers that await reward functions."""

    def make(name):
        async def reward(completions, solution=None, **kwargs):
            solution = _solutions(solution)
            try:
                return _column(await async_score_batch(completions, solution, base_url), name)
            except RewardServerError as error:
                return _skipped(f"reward {name}", error, len(completions))

        reward.__name__ = f"iad_r1_{name}"
        return reward

    return [make(name) for name in (names or components(base_url))]


def _score_dicts(result, total_key):
    names = list(result["components"])
    return [
        {total_key: total, **{name: result["components"][name][i] for name in names}}
        for i, total in enumerate(result["rewards"])
    ]


def compute_score(
    data_source=None,
    solution_str=None,
    ground_truth=None,
    extra_info=None,
    data_sources=None,
    solution_strs=None,
    ground_truths=None,
    extra_infos=None,
    **kwargs,
):
    """verl's custom reward function: {"score": total, component: value, …}.

    One response (naive and reward-loop managers: data_source, solution_str, ground_truth,
    extra_info, plus reward_kwargs or the router's keywords), or a batch (batch manager:
    data_sources, solution_strs, ground_truths, extra_infos) answered with one dict per response.
    """
    if solution_strs is not None:
        if ground_truths is None:
            raise TypeError("compute_score: a batch call needs ground_truths beside solution_strs")
        return _score_dicts(score_batch(solution_strs, ground_truths), "score")
    if solution_str is None or ground_truth is None:
        raise TypeError("compute_score needs solution_str and ground_truth (or solution_strs and ground_truths)")
    return _score_dicts(score_batch([solution_str], [ground_truth]), "score")[0]


async def async_compute_score(data_source=None, solution_str=None, ground_truth=None, extra_info=None, **kwargs):
    """compute_score for one response as a coroutine (verl's reward loop awaits coroutine functions)."""
    if solution_str is None or ground_truth is None:
        raise TypeError("async_compute_score needs solution_str and ground_truth")
    return _score_dicts(await async_score_batch([solution_str], [ground_truth]), "score")[0]


def easyr1_compute_score(reward_inputs, **kwargs):
    """EasyR1's reward function: [{"response", "ground_truth", …}] -> [{"overall", component…}].

    A single dict (EasyR1's sequential reward type) gets a single dict back; the keywords of
    worker.reward.reward_function_kwargs are accepted and ignored.
    """
    if isinstance(reward_inputs, dict):
        return easyr1_compute_score([reward_inputs])[0]
    result = score_batch([r["response"] for r in reward_inputs], [r["ground_truth"] for r in reward_inputs])
    return _score_dicts(result, "overall")


def reward_func(queries, prompts, labels, **kwargs):
    """OpenRLHF's .py reward (`--reward.remote_url iad_r1_rewards.py`): posts to the server's /get_reward,
    which keeps only the reply of each query, and returns {"rewards", "scores", "extra_logs"} as
    torch tensors (OpenRLHF concatenates them); as lists where torch is absent.
    """
    queries = list(queries)
    body = json.dumps({"query": queries, "prompts": list(prompts), "labels": list(labels)}).encode("utf-8")
    url = f"{_url(None)}/get_reward"
    result = _checked_reply(_request(url, body), url, len(queries), ["rewards", "scores"], "extra_logs")
    try:
        import torch
    except ImportError:
        return result
    return {
        "rewards": torch.tensor(result["rewards"], dtype=torch.float32),
        "scores": torch.tensor(result["scores"], dtype=torch.float32),
        "extra_logs": {name: torch.tensor(values, dtype=torch.float32) for name, values in result["extra_logs"].items()},
    }
