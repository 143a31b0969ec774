import { describe, expect, it } from 'vitest';

describe('report slots', () => {
  it('computes at most DROPSCOPE_REPORT_CONCURRENCY reports at once, the rest in arrival order, a failure freeing its slot', async () => {
    process.env.DROPSCOPE_REPORT_CONCURRENCY = '2';
    const { inReportSlot, reportSlotUse } = await import('../../../lib/http/report-slots');
    const started: number[] = [];
    const finish: ((fail?: boolean) => void)[] = [];
    let running = 0;
    let most = 0;
    const reports = [0, 1, 2, 3, 4].map((k) =>
      inReportSlot(
        () =>
          new Promise<number>((resolve, reject) => {
            started.push(k);
            running++;
            most = Math.max(most, running);
            finish[k] = (fail) => {
              running--;
              if (fail) reject(new Error(`report ${k} failed`));
              else resolve(k);
            };
          }),
      ),
    );
    const settle = () => new Promise((r) => setTimeout(r, 0));
    await settle();
    expect(started).toEqual([0, 1]);
    expect(reportSlotUse()).toEqual({ active: 2, waiting: 3 });
    finish[1]!(true);
    await expect(reports[1]).rejects.toThrow('report 1 failed');
    await settle();
    expect(started).toEqual([0, 1, 2]);
    finish[0]!();
    finish[2]!();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    finish[3]!();
    finish[4]!();
    expect(await Promise.all([reports[0], reports[2], reports[3], reports[4]])).toEqual([0, 2, 3, 4]);
    expect(most).toBe(2);
    expect(reportSlotUse()).toEqual({ active: 0, waiting: 0 });
  });
});
