import { describe, expect, it } from 'vitest';
import {
  agencyEventTopic, agencyTopic, agencyTreeRoot, GATEWAY_STATUS_FILTER, isGatewayStatusFilter, mayAgencySubscribe, topicAgency,
} from '../../../src/sharing/agency-topics.js';
import { fullEvent } from './fixtures.js';

describe('agencyTopic', () => {
  it('moves a normal topic into the agency tree', () => {
    expect(agencyTopic('customs', 'borderlink/v1/BGSOF/xray-scanner/xray-1/result')).toBe('borderlink/v1/agency/customs/BGSOF/xray-scanner/xray-1/result');
    expect(agencyEventTopic('customs', fullEvent())).toBe('borderlink/v1/agency/customs/BGSOF/xray-scanner/xray-1/result');
    expect(agencyTreeRoot('customs')).toBe('borderlink/v1/agency/customs');
  });

  it('keeps a site called "agency" apart from agency trees', () => {
    expect(agencyTopic('customs', 'borderlink/v1/agency/xray-scanner/x/result')).toBe('borderlink/v1/agency/customs/agency/xray-scanner/x/result');
    expect(agencyTopic('customs', 'borderlink/v1/agency/police/BGSOF/xray-scanner/x/result')).toBeUndefined();
  });

  it('refuses topics outside the root and bad agency ids', () => {
    expect(agencyTopic('customs', 'other/v1/x')).toBeUndefined();
    expect(agencyTopic('customs', 'borderlink/v1/')).toBeUndefined();
    expect(agencyTopic('Cus/toms', 'borderlink/v1/a/b')).toBeUndefined();
    expect(agencyTopic('gateway', 'borderlink/v1/a/b')).toBeUndefined();
  });
});

describe('topicAgency / mayAgencySubscribe', () => {
  it.each([
    ['borderlink/v1/agency/customs/#', 'customs'],
    ['borderlink/v1/agency/customs/BGSOF/+/+/result', 'customs'],
    ['borderlink/v1/agency/customs', 'customs'],
    ['$share/g1/borderlink/v1/agency/customs/#', 'customs'],
    ['borderlink/v1/#', undefined],
    ['borderlink/#', undefined],
    ['#', undefined],
    ['+/v1/agency/customs/#', undefined],
    ['borderlink/+/agency/customs/#', undefined],
    ['borderlink/v1/+/customs/#', undefined],
    ['borderlink/v1/agency/+/#', undefined],
    ['borderlink/v1/agency/#', undefined],
    ['borderlink/v1/agency/cust+/#', undefined],
    ['borderlink/v1/agency/customs/#/x', undefined],
    ['borderlink/v1/agency/xray-scanner/#', undefined],
    ['borderlink/v1/BGSOF/#', undefined],
    ['$SYS/#', undefined],
    ['$share/+/borderlink/v1/agency/customs/#', undefined],
    ['$share/g/#', undefined],
  ])('%s -> %s', (filter, agency) => {
    expect(topicAgency(filter)).toBe(agency);
    expect(mayAgencySubscribe('customs', filter)).toBe(agency === 'customs');
  });

  it('an agency may not subscribe to another agency tree', () => {
    expect(mayAgencySubscribe('police', 'borderlink/v1/agency/customs/#')).toBe(false);
  });
});

describe('gateway status for agencies', () => {
  it('lets any agency read the gateway liveness topic, by name or with +, never through #', () => {
    expect(mayAgencySubscribe('customs', 'borderlink/v1/BGSOF/gateway/bl-gw-01/status')).toBe(true);
    expect(mayAgencySubscribe('customs', 'borderlink/v1/+/gateway/+/status')).toBe(true);
    expect(mayAgencySubscribe('customs', 'borderlink/v1/+/gateway/#')).toBe(false);
    expect(mayAgencySubscribe('customs', 'borderlink/v1/+/+/+/status')).toBe(false);
    expect(mayAgencySubscribe('customs', 'borderlink/v1/BGSOF/xray-scanner/lane3/status')).toBe(false);
    expect(mayAgencySubscribe('customs', 'borderlink/v1/BGSOF/gateway/bl-gw-01/status/x')).toBe(false);
    expect(isGatewayStatusFilter(GATEWAY_STATUS_FILTER)).toBe(true);
  });
});
