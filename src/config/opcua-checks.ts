/**
 * Checks of a device's OPC UA settings that the schema cannot express. The one that matters most:
 * security mode None (no signature, no encryption: anyone on the path can read and forge the
 * scanner's results) is refused unless the configuration says `allowInsecure: true` next to it,
 * so an insecure link is always a visible, deliberate choice.
 */
type Obj = Record<string, unknown>;

/**
 * @param d the device as written (after schema validation)
 * @param i its index in `devices`
 * @param opcuaSimulators ids of simulators that serve OPC UA
 */
export function checkOpcUaDevice(d: Obj, i: number, locate: (pointer: string) => string, opcuaSimulators: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const c = (d.connection ?? {}) as Obj;
  const o = c.opcua as Obj | undefined;
  if (o === undefined) return problems;
  const at = `devices[${i}].connection.opcua`;
  const pointer = `/devices/${i}/connection/opcua`;
  const device = `device "${String(d.id)}"`;
  const bySimulator = typeof c.simulator === 'string';
  if (bySimulator && typeof o.endpointUrl === 'string') {
    problems.push(`${at}.endpointUrl${locate(`${pointer}/endpointUrl`)}: ${device} names a simulator; its endpoint is the simulator's, remove endpointUrl`);
  }
  if (!bySimulator && typeof o.endpointUrl !== 'string') {
    problems.push(`${at}${locate(pointer)}: ${device} needs opcua.endpointUrl (opc.tcp://host:port) or connection.simulator`);
  }
  if (bySimulator && !opcuaSimulators.has(c.simulator as string)) {
    problems.push(`${at}${locate(pointer)}: ${device}: simulator "${String(c.simulator)}" does not serve OPC UA (kind xray-opcua does)`);
  }
  for (const other of ['host', 'port', 'serial', 'folder', 'ingestPath', 'url'] as const) {
    if (c[other] !== undefined) problems.push(`${at}${locate(pointer)}: ${device}: OPC UA settings go with opcua.endpointUrl or a simulator, not with connection.${other}`);
  }
  const sec = (o.security ?? {}) as Obj;
  if (sec.mode === 'None' && sec.allowInsecure !== true) {
    problems.push(
      `${at}.security.mode${locate(`${pointer}/security/mode`)}: ${device}: OPC UA security mode None sends the scanner's results unsigned and unencrypted; ` +
        'use SignAndEncrypt (the default), or set security.allowInsecure: true next to mode: None to accept that explicitly',
    );
  }
  const idn = (o.identity ?? {}) as Obj;
  const type = (idn.type as string | undefined) ?? 'anonymous';
  const has = (k: string): boolean => idn[k] !== undefined;
  const where = `${at}.identity${locate(`${pointer}/identity`)}`;
  if (type === 'anonymous') {
    const extra = ['username', 'password', 'passwordFile', 'certFile', 'keyFile'].filter(has);
    if (extra.length > 0) problems.push(`${where}: ${device}: anonymous identity takes no ${extra.join(', ')} (set identity.type: username or certificate)`);
  } else if (type === 'username') {
    if (!has('username')) problems.push(`${where}: ${device}: identity.type username needs username`);
    if (has('password') === has('passwordFile')) problems.push(`${where}: ${device}: identity.type username needs exactly one of password, passwordFile`);
    if (has('certFile') || has('keyFile')) problems.push(`${where}: ${device}: certFile and keyFile belong to identity.type certificate`);
  } else if (type === 'certificate') {
    if (!has('certFile') || !has('keyFile')) problems.push(`${where}: ${device}: identity.type certificate needs certFile and keyFile`);
    if (has('username') || has('password') || has('passwordFile')) problems.push(`${where}: ${device}: username and password belong to identity.type username`);
  }
  return problems;
}
