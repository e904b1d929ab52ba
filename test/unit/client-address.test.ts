import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientAddress } from "../../lib/client-address";

const headers = (values: Record<string, string>) => new Headers(values);

describe("the client address", () => {
  it.each([
    // [X-Forwarded-For, X-Real-IP, trusted hops, socket, expected]
    ["203.0.113.7", null, 1, null, "203.0.113.7"],
    ["198.51.100.1, 203.0.113.7", null, 1, null, "203.0.113.7"],
    ["198.51.100.1, 203.0.113.7, 10.0.0.2", null, 2, null, "203.0.113.7"],
    ["203.0.113.7", null, 2, null, "203.0.113.7"],
    [" 203.0.113.7 ,, ", null, 1, null, "203.0.113.7"],
    [null, "203.0.113.9", 1, null, "203.0.113.9"],
    [null, null, 1, "192.0.2.4", "192.0.2.4"],
    [null, null, 1, null, null],
    ["", "", 1, null, null],
    // Nothing in front: whatever the client wrote is ignored.
    ["203.0.113.7", "203.0.113.9", 0, "192.0.2.4", "192.0.2.4"],
    ["203.0.113.7", null, 0, null, null],
  ] as const)("X-Forwarded-For %j, X-Real-IP %j, %i trusted, socket %j: %j", (forwarded, realIp, hops, socket, expected) => {
    const values: Record<string, string> = {};
    if (forwarded !== null) values["x-forwarded-for"] = forwarded;
    if (realIp !== null) values["x-real-ip"] = realIp;
    expect(clientAddress(headers(values), hops, socket)).toBe(expected);
  });

  it("cannot be chosen by the client: entries it prepends never change the address (property)", () => {
    const address = fc.ipV4();
    fc.assert(
      fc.property(fc.array(address, { maxLength: 5 }), fc.array(address, { minLength: 1, maxLength: 3 }), (forged, appended) => {
        const hops = appended.length;
        const honest = clientAddress(headers({ "x-forwarded-for": appended.join(", ") }), hops);
        const spoofed = clientAddress(headers({ "x-forwarded-for": [...forged, ...appended].join(", ") }), hops);
        expect(spoofed).toBe(honest);
        expect(spoofed).toBe(appended[0]);
      }),
    );
  });
});
