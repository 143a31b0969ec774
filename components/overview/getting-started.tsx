'use client';
/** What to do on an empty installation: register a probe, point it here, or send a test batch. */

export function GettingStarted({ probes, origin, curlCommand }: { probes: number; origin: string; curlCommand: string }) {
  return (
    <section className="card getting-started" data-testid="empty-state" data-probes={probes} aria-label="Getting started">
      <header className="card-header">
        <h2>{probes === 0 ? 'No probes yet' : 'Waiting for the first canary'}</h2>
      </header>
      <p>
        {probes === 0
          ? 'dropscope learns about dropped WebSockets from probes: small agents that hold canary connections through your proxies and report how each one ended.'
          : `${probes} ${probes === 1 ? 'probe is' : 'probes are'} registered, but no canary session has been reported yet.`}
      </p>
      <ol className="steps">
        <li data-done={probes > 0 ? 'true' : undefined}>
          <div className="step-title">Register a probe; its token is printed once</div>
          <pre className="code"><code>npm run dropscope -- probe add NAME</code></pre>
        </li>
        <li>
          <div className="step-title">
            Point the probe at <code>{origin}</code> with that token
          </div>
          <p className="step-note">Probes send batches to <code>POST {origin}/api/v1/ingest</code> with <code>Authorization: Bearer &lt;token&gt;</code>. This page updates as they arrive.</p>
        </li>
        <li>
          <div className="step-title">Or send a test canary by hand: one that dropped after exactly 60 s</div>
          <pre className="code"><code>{`export DROPSCOPE_TOKEN=dsp_...\n${curlCommand}`}</code></pre>
        </li>
      </ol>
    </section>
  );
}
