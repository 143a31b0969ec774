/** The agent's version, reported in heartbeats and the User-Agent. Bumped with releases. */
export const AGENT_VERSION = '0.3.0';
