/** The empty state shared by the paths and probes pages: how data gets here at all. */
import css from './paths.module.css';

export function NoProbesYet({ what }: { what: string }) {
  return (
    <section className="card getting-started" data-testid="empty-state">
      <h2 style={{ marginBottom: '0.5rem' }}>{what}</h2>
      <p>Probes hold canary WebSockets to your targets, directly and through your proxies, and report every session here.</p>
      <ol className="steps">
        <li>
          <div className="step-title">Register a probe (prints its token once)</div>
          <pre className="code">npm run dropscope -- probe add NAME --label region=eu</pre>
        </li>
        <li>
          <div className="step-title">Run the agent on the edge host with that token</div>
          <pre className="code">{'npm run build:agent\nscp dist/dropscope-agent.js HOST:/usr/local/bin/dropscope-agent\nDROPSCOPE_TOKEN=dsp_... dropscope-agent --config /etc/dropscope/probe.yaml'}</pre>
          <div className="step-note">The config names your targets, proxies and profiles: see &quot;Probes on edge hosts&quot; in the README.</div>
        </li>
      </ol>
      <p className={css.note} style={{ marginTop: '1rem' }}>Or run the server with the demo on (<code>DROPSCOPE_DEMO=on</code>, as the README&apos;s quick start does) to see a proxied path drop at 20 s.</p>
    </section>
  );
}

/** A known parameter with a bad value: the page names the field and offers a way back, never a blank page. */
export function BadLink({ message, reset }: { message: string; reset: { href: string; label: string } }) {
  return (
    <div className="banner banner-error" role="alert" data-testid="bad-link">
      Bad link: {message}. <a href={reset.href}>{reset.label}</a>.
    </div>
  );
}
