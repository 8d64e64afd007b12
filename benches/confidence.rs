//! Confidence scoring time for a finished 10 KB answer: prose and code blocks in several
//! grammars (Rust, Python, TypeScript, Go, JSON, YAML, TOML), scored with and without token
//! logprobs. Target: median ≤ 2 ms.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

use codecrucible::backend::TokenLogprob;
use codecrucible::confidence::{score, Draft};
use codecrucible::router::TaskType;

const PROMPT: &str = "Our job runner loses jobs when a worker crashes. Design a retry queue: \
                      the Rust types, the Python client, the TypeScript dashboard model, the Go \
                      health probe, and the config files, with a short explanation of each.";

const PROSE: [&str; 6] = [
    "The queue keeps every job in one of three states, and a worker must renew its lease while \
it runs; a lease that expires sends the job back to the pending list with its attempt count \
raised. This way a crashed worker delays a job by at most one lease period and never loses it. \
Jobs that fail too often move to a dead-letter list where an operator can look at them.\n\n",
    "The Rust side owns the state machine. `reap` is called from a timer every few seconds; \
it partitions the leased jobs into expired and live ones in one pass, so the lock around the \
queue is held briefly even with thousands of jobs in flight.\n\n",
    "Workers talk to the queue over HTTP with a small Python client. Taking a job returns a \
lease, renewing extends it, and a 204 response means there is nothing to do, which lets the \
worker back off instead of spinning.\n\n",
    "The dashboard only needs counts per state, so the TypeScript model is deliberately thin; \
the summary function is pure and easy to test in isolation.\n\n",
    "A Go sidecar exposes the health endpoint that the orchestrator polls. It reports \
unhealthy when the dead-letter list grows past a threshold, which pages someone before \
customers notice missing work.\n\n",
    "Finally the configuration: the same three numbers appear in the service config, the \
compose file and the runner's TOML, so keep them in one place in your deployment tooling.\n\n",
];

const MORE: &str = "```rust\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    fn queue_with(n: u64) -> Queue {\n        let mut q = Queue::new(Duration::from_secs(30), 3);\n        for id in 0..n {\n            q.push(Job { id, attempts: 0, state: State::Pending });\n        }\n        q\n    }\n\n    #[test]\n    fn expired_leases_return_to_pending() {\n        let mut q = queue_with(2);\n        let start = Instant::now();\n        q.take(7, start);\n        q.reap(start + Duration::from_secs(31));\n        assert_eq!(q.pending_len(), 2);\n    }\n\n    #[test]\n    fn jobs_die_after_max_attempts() {\n        let mut q = queue_with(1);\n        let mut now = Instant::now();\n        for _ in 0..3 {\n            q.take(1, now);\n            now += Duration::from_secs(31);\n            q.reap(now);\n        }\n        assert!(matches!(q.front().map(|j| &j.state), Some(State::Dead { .. })));\n    }\n}\n```\n\n```tsx\nexport function QueueSummary({ jobs }: { jobs: Job[] }) {\n  const counts = summarise(jobs);\n  return (\n    <dl className=\"summary\">\n      <dt>Pending</dt>\n      <dd>{counts.pending}</dd>\n      <dt>Leased</dt>\n      <dd>{counts.leased}</dd>\n      <dt>Dead</dt>\n      <dd className={counts.dead > 0 ? \"alert\" : undefined}>{counts.dead}</dd>\n    </dl>\n  );\n}\n```\n\n```diff\n--- a/runner/config.py\n+++ b/runner/config.py\n@@ -3,4 +3,5 @@ DEFAULTS = {\n     \"workers\": 4,\n-    \"lease_seconds\": 10,\n+    \"lease_seconds\": 30,\n+    \"max_attempts\": 5,\n }\n```\n\n```sql\nCREATE TABLE jobs (\n  id BIGSERIAL PRIMARY KEY,\n  attempts INT NOT NULL DEFAULT 0,\n  state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'dead')),\n  lease_until TIMESTAMPTZ\n);\n```\n\n";

const RUST: &str = "```rust\nuse std::collections::VecDeque;\nuse std::time::{Duration, Instant};\n\n#[derive(Debug, Clone, PartialEq)]\npub enum State {\n    Pending,\n    Leased { until: Instant, worker: u32 },\n    Dead { reason: String },\n}\n\npub struct Job {\n    pub id: u64,\n    pub attempts: u32,\n    pub state: State,\n}\n\npub struct Queue {\n    pending: VecDeque<Job>,\n    leased: Vec<Job>,\n    max_attempts: u32,\n    lease: Duration,\n}\n\nimpl Queue {\n    // ...existing code...\n\n    /// Moves expired leases back to pending, or to dead after too many attempts.\n    pub fn reap(&mut self, now: Instant) {\n        let (expired, live): (Vec<Job>, Vec<Job>) = self\n            .leased\n            .drain(..)\n            .partition(|j| matches!(j.state, State::Leased { until, .. } if until <= now));\n        self.leased = live;\n        for mut job in expired {\n            job.attempts += 1;\n            job.state = if job.attempts >= self.max_attempts {\n                State::Dead { reason: \"lease expired too often\".into() }\n            } else {\n                State::Pending\n            };\n            self.pending.push_back(job);\n        }\n    }\n}\n```\n\n";

const PYTHON: &str = "```python\nimport time\nfrom dataclasses import dataclass\n\n\n@dataclass\nclass Lease:\n    job_id: int\n    until: float\n\n\nclass Client:\n    def __init__(self, session, base_url: str, lease_seconds: float = 30.0):\n        self.session = session\n        self.base_url = base_url.rstrip(\"/\")\n        self.lease_seconds = lease_seconds\n\n    def take(self) -> Lease | None:\n        r = self.session.post(f\"{self.base_url}/jobs/take\", timeout=5)\n        if r.status_code == 204:\n            return None\n        r.raise_for_status()\n        body = r.json()\n        return Lease(job_id=body[\"id\"], until=time.time() + self.lease_seconds)\n\n    def renew(self, lease: Lease) -> None:\n        # ...\n        self.session.post(f\"{self.base_url}/jobs/{lease.job_id}/renew\", timeout=5)\n```\n\n";

const TYPESCRIPT: &str = "```ts\nexport type JobState = \"pending\" | \"leased\" | \"dead\";\n\nexport interface Job {\n  id: number;\n  attempts: number;\n  state: JobState;\n  worker?: number;\n}\n\nexport function summarise(jobs: readonly Job[]): Record<JobState, number> {\n  const counts: Record<JobState, number> = { pending: 0, leased: 0, dead: 0 };\n  for (const job of jobs) {\n    counts[job.state] += 1;\n  }\n  return counts;\n}\n```\n\n";

const GO: &str = "```go\nfunc healthHandler(q *Queue) http.HandlerFunc {\n\treturn func(w http.ResponseWriter, r *http.Request) {\n\t\tstats := q.Stats()\n\t\tif stats.Dead > 100 {\n\t\t\tw.WriteHeader(http.StatusServiceUnavailable)\n\t\t}\n\t\tjson.NewEncoder(w).Encode(stats)\n\t}\n}\n```\n\n";

const DATA: &str = "```json\n{\n  \"lease_seconds\": 30,\n  \"max_attempts\": 5,\n  \"dead_letter\": { \"keep_days\": 14 }\n}\n```\n\n```yaml\nservices:\n  runner:\n    image: runner:latest\n    environment:\n      LEASE_SECONDS: \"30\"\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8080/health\"]\n```\n\n```toml\n[queue]\nlease_seconds = 30\nmax_attempts = 5\n\n[dead_letter]\nkeep_days = 14\n```\n\n";

const EXTRA: &str = "## Failure modes worth testing\n\nThree situations break naive queues. First, a worker that stalls without crashing keeps renewing its lease forever; cap the total lease time per attempt so a hung job is eventually handed to someone else. Second, the clock on the queue host can jump; compare against a monotonic clock (`Instant` in Rust, `time.monotonic()` in Python) rather than wall time. Third, a job that succeeds but whose acknowledgement is lost will run twice, so every handler must be idempotent: record the job id with the side effect in one transaction, and skip ids you have already seen.\n\n```python\nimport pytest\n\nfrom runner.client import Client, Lease\n\n\nclass FakeResponse:\n    def __init__(self, status_code, body=None):\n        self.status_code = status_code\n        self._body = body or {}\n\n    def json(self):\n        return self._body\n\n    def raise_for_status(self):\n        if self.status_code >= 400:\n            raise RuntimeError(f\"HTTP {self.status_code}\")\n\n\nclass FakeSession:\n    def __init__(self, responses):\n        self.responses = list(responses)\n        self.calls = []\n\n    def post(self, url, timeout):\n        self.calls.append(url)\n        return self.responses.pop(0)\n\n\ndef test_take_returns_none_when_idle():\n    client = Client(FakeSession([FakeResponse(204)]), \"http://queue\")\n    assert client.take() is None\n\n\ndef test_take_returns_a_lease():\n    client = Client(FakeSession([FakeResponse(200, {\"id\": 42})]), \"http://queue/\")\n    lease = client.take()\n    assert isinstance(lease, Lease) and lease.job_id == 42\n\n\ndef test_errors_are_raised():\n    client = Client(FakeSession([FakeResponse(500)]), \"http://queue\")\n    with pytest.raises(RuntimeError):\n        client.take()\n```\n\nThe Go sidecar needs the queue's statistics type as well; it mirrors the dashboard model so the JSON stays the same on both sides:\n\n```go\ntype Stats struct {\n\tPending int `json:\"pending\"`\n\tLeased  int `json:\"leased\"`\n\tDead    int `json:\"dead\"`\n}\n\nfunc (q *Queue) Stats() Stats {\n\tq.mu.Lock()\n\tdefer q.mu.Unlock()\n\tvar s Stats\n\tfor _, j := range q.jobs {\n\t\tswitch j.State {\n\t\tcase StatePending:\n\t\t\ts.Pending++\n\t\tcase StateLeased:\n\t\t\ts.Leased++\n\t\tdefault:\n\t\t\ts.Dead++\n\t\t}\n\t}\n\treturn s\n}\n```\n\nTo run the whole thing in CI, add a workflow that builds the runner, starts the compose file and runs both test suites against it:\n\n```yaml\nname: queue\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: docker compose up -d runner\n      - run: cargo test --package runner\n      - run: pip install -r client/requirements.txt && pytest client\n      - if: failure()\n        run: docker compose logs runner\n```\n\nThe dashboard fetches the counts every few seconds; a small helper keeps the polling logic out of the component:\n\n```js\nexport function poll(url, onData, everyMs = 5000) {\n  let stopped = false;\n  async function tick() {\n    if (stopped) return;\n    try {\n      const res = await fetch(url);\n      if (res.ok) onData(await res.json());\n    } finally {\n      setTimeout(tick, everyMs);\n    }\n  }\n  tick();\n  return () => {\n    stopped = true;\n  };\n}\n```\n\nWith these pieces a crashed worker costs at most one lease period of delay, a poisoned job ends up in the dead-letter list instead of looping forever, and the health probe tells you when that list starts to grow.\n";

/// About 10 KB: distinct prose between code blocks in nine languages (a real answer does not
/// repeat itself, and the repetition signal would rightly flag one that did).
fn answer_10kb() -> String {
    let parts = [
        PROSE[0], RUST, PROSE[1], MORE, PROSE[2], PYTHON, PROSE[3], TYPESCRIPT, PROSE[4], GO,
        PROSE[5], DATA, EXTRA,
    ];
    parts.concat()
}

/// What llama-server would send for it: about one token per four bytes.
fn logprobs(answer: &str) -> Vec<TokenLogprob> {
    answer
        .as_bytes()
        .chunks(4)
        .enumerate()
        .map(|(i, c)| TokenLogprob {
            token: String::from_utf8_lossy(c).into_owned(),
            logprob: -0.05 - (i % 17) as f64 * 0.07,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let answer = answer_10kb();
    assert!((9_000..=11_000).contains(&answer.len()), "{}", answer.len());
    let lps = logprobs(&answer);
    let mut d = Draft {
        prompt: PROMPT,
        answer: &answer,
        task_type: TaskType::Generation,
        finish_reason: Some("stop"),
        logprobs: &[],
    };
    // The answer is meant to be clean: a benchmark of the error path would be another one.
    let report = score(&d);
    assert!(report.score > 0.9, "{report:#?}");
    c.bench_function("confidence_10kb_answer", |b| {
        b.iter(|| score(black_box(&d)))
    });
    d.logprobs = &lps;
    c.bench_function("confidence_10kb_answer_with_logprobs", |b| {
        b.iter(|| score(black_box(&d)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
