// cargo-leptos starts the server and the tests at the same time: wait until it answers.
export default async function globalSetup() {
  const base = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000';
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${base}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server at ${base} did not become ready within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
