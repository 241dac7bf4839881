import { describe, expect, it } from 'vitest';
import { filtersFromUrl, hasFilters, withFilter } from './runFilters';

describe('run filters in the URL', () => {
  it('reads every filter, missing ones as empty', () => {
    const f = filtersFromUrl(new URLSearchParams('team=a&q=%20run-1%20&tab=x'));
    expect(f).toEqual({
      status: '',
      template: '',
      team: 'a',
      launchedBy: '',
      createdFrom: '',
      createdTo: '',
      q: 'run-1',
    });
    expect(hasFilters(f)).toBe(true);
    expect(hasFilters(filtersFromUrl(new URLSearchParams('tab=x')))).toBe(false);
  });

  it('sets one filter and keeps the others, dropping it when cleared', () => {
    const url = new URLSearchParams('status=FAILED&team=a');
    expect(withFilter(url, 'launchedBy', ' bob ').toString()).toBe('status=FAILED&team=a&launchedBy=bob');
    expect(withFilter(url, 'team', '').toString()).toBe('status=FAILED');
    expect(url.toString()).toBe('status=FAILED&team=a');
  });
});
