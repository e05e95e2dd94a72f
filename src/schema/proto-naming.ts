/**
 * The naming rules that tie the JSON Schema to the .proto. The codec and the parity test both use
 * them, so a rule cannot drift between the wire and its check.
 *
 * JSON enum values are lower kebab-case ("radiation-portal-monitor"); the proto value is the enum
 * name in SCREAMING_SNAKE_CASE, an underscore, and the JSON value in SCREAMING_SNAKE_CASE
 * (DEVICE_CLASS_RADIATION_PORTAL_MONITOR). Each proto enum also has <PREFIX>UNSPECIFIED = 0.
 */

/** lower kebab-case, the only shape a JSON enum value may take (so the mapping is reversible). */
export const JSON_ENUM_VALUE_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** "checkDigitValid" -> "check_digit_valid"; "realTimeS" -> "real_time_s". */
export function snakeCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** "DeviceClass" -> "DEVICE_CLASS_" */
export function protoEnumPrefix(enumName: string): string {
  return `${enumName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_`;
}

/** ("DeviceClass", "radiation-portal-monitor") -> "DEVICE_CLASS_RADIATION_PORTAL_MONITOR" */
export function protoEnumValueName(enumName: string, jsonValue: string): string {
  return protoEnumPrefix(enumName) + jsonValue.toUpperCase().replace(/-/g, '_');
}

/** The zero value every proto enum starts with, never valid on the wire. */
export function protoEnumUnspecified(enumName: string): string {
  return `${protoEnumPrefix(enumName)}UNSPECIFIED`;
}

/**
 * ("DeviceClass", "DEVICE_CLASS_XRAY_SCANNER") -> "xray-scanner"; undefined for the UNSPECIFIED
 * value or a name without the enum's prefix.
 */
export function jsonEnumValue(enumName: string, protoValueName: string): string | undefined {
  const prefix = protoEnumPrefix(enumName);
  if (!protoValueName.startsWith(prefix)) return undefined;
  const rest = protoValueName.slice(prefix.length);
  if (rest === 'UNSPECIFIED' || rest === '') return undefined;
  return rest.toLowerCase().replace(/_/g, '-');
}
