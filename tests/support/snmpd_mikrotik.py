#!/usr/bin/python3
"""snmpd pass_persist handler serving a fake MikroTik subtree (enterprise
14988) for lango's SNMP tests (tests/support/snmpd.rs).

Protocol (snmpd.conf(5), "pass_persist"): snmpd writes "PING\\n", we answer
"PONG\\n"; "get\\n<OID>\\n" or "getnext\\n<OID>\\n", we answer
"<OID>\\n<type>\\n<value>\\n" or "NONE\\n"; "set\\n<OID>\\n<type> <value>\\n",
we answer "not-writable\\n".

The directory $LANGO_SNMP_STATE holds the test's knobs, read on every request:
  counter32  decimal value of the test-only Counter32 at WRAP (else it counts
             up 10 000 000 per second from 50 000 000 below 2^32, wrapping
             about 5 s after the script starts)
  minimal    if present: an older RouterOS without the gauge table, wireless
             or DHCP objects, SFP optics or PoE-out (only the legacy mtxrHl*
             health scalars)
  cpu_temp   the gauge table's cpu-temperature, C (else 47)
  sfp_rx     receive power of optic 1 (sfp1), thousandths of a dBm (else -5100)
  poe_status mtxrPOEStatus of PoE port 1 (ether4): 3 poweredOn unless set,
             4 overload
"""
import os
import sys
import time

MTXR = ".1.3.6.1.4.1.14988.1.1"
HEALTH = MTXR + ".3"                 # mtxrHealth
WRAP = MTXR + ".99.1.0"              # test-only Counter32 that wraps
STATE = os.environ.get("LANGO_SNMP_STATE", os.path.dirname(os.path.abspath(__file__)))
START = time.monotonic()


def knob(name):
    try:
        with open(os.path.join(STATE, name)) as f:
            return f.read().strip()
    except OSError:
        return None


def wrapping_counter():
    try:
        return int(knob("counter32")) % 2**32
    except (TypeError, ValueError):
        return (2**32 - 50_000_000 + int((time.monotonic() - START) * 10_000_000)) % 2**32


def table():
    rows = [
        # mtxrHl* scalars: Temperature and Voltage are Integer32 in tenths,
        # PSU states BoolValue (1 = true = ok), fan speeds Gauge32 rpm.
        (HEALTH + ".6.0", "integer", "472"),    # mtxrHlCpuTemperature 47.2 C
        (HEALTH + ".7.0", "integer", "300"),    # mtxrHlBoardTemperature 30.0 C
        (HEALTH + ".8.0", "integer", "241"),    # mtxrHlVoltage 24.1 V
        (HEALTH + ".10.0", "integer", "385"),   # mtxrHlTemperature 38.5 C
        (HEALTH + ".11.0", "integer", "512"),   # mtxrHlProcessorTemperature 51.2 C
        (HEALTH + ".14.0", "integer", "880"),   # mtxrHlProcessorFrequency MHz
        (HEALTH + ".15.0", "integer", "1"),     # mtxrHlPowerSupplyState ok
        (HEALTH + ".16.0", "integer", "0"),     # mtxrHlBackupPowerSupplyState not ok
        (HEALTH + ".17.0", "gauge", "4200"),    # mtxrHlFanSpeed1 rpm
        (WRAP, "counter", str(wrapping_counter())),
        # mtxrQueueSimpleBytesIn.1 (Counter64) above 2^32, mtxrQueueSimpleName.1
        (MTXR + ".2.1.1.8.1", "counter64", str(2**32 + 12345)),
        (MTXR + ".2.1.1.2.1", "string", "customer-42"),
    ]
    if knob("minimal") is None:
        # mtxrGaugeTable .100.1.{2 name, 3 value, 4 unit}.<index>; units:
        # celsius(1), rpm(2), dV(3), status(6) where 0 is ok.
        gauges = [
            (1, "cpu-temperature", int(knob("cpu_temp") or 47), 1),
            (2, "board-temperature1", 38, 1),
            (3, "voltage", 241, 3),
            (4, "fan1-speed", 4200, 2),
            (5, "fan2-speed", 4150, 2),
            (6, "fan-state", 0, 6),
            (7, "psu1-state", 0, 6),
            (8, "psu2-state", 1, 6),
        ]
        for col, typ in ((2, "string"), (3, "gauge"), (4, "integer")):
            for idx, name, val, unit in gauges:
                rows.append((f"{HEALTH}.100.1.{col}.{idx}", typ, {2: name, 3: str(val), 4: str(unit)}[col]))
        # mtxrWlApClientCount.<ifIndex> for two AP interfaces, mtxrDHCPLeaseCount
        rows.append((MTXR + ".1.3.1.6.7", "counter", "3"))
        rows.append((MTXR + ".1.3.1.6.8", "counter", "4"))
        rows.append((MTXR + ".6.1.0", "gauge", "17"))
        # mtxrOpticalTable .19.1.1.<column>.<index>: 2 name, 3 rx loss,
        # 4 tx fault (BoolValue), 5 wavelength (hundredths of nm), 6
        # temperature C, 7 supply mV, 8 tx bias mA, 9 tx and 10 rx power
        # (thousandths of a dBm).
        optics = [
            (1, "sfp1", 0, 0, 131000, 41, 3300, 12, -4200, int(knob("sfp_rx") or -5100)),
            (2, "sfp-sfpplus1", 0, 0, 155000, 38, 3280, 20, 1200, -12300),
        ]
        for idx, name, *values in optics:
            rows.append((f"{MTXR}.19.1.1.2.{idx}", "string", name))
            for col, val in zip(range(3, 11), values):
                typ = "integer" if col in (3, 4, 9, 10) else "gauge"
                rows.append((f"{MTXR}.19.1.1.{col}.{idx}", typ, str(val)))
        # mtxrPOETable .15.1.1.<column>.<ifIndex>: 2 name, 3 status, 4 dV,
        # 5 mA, 6 dW.
        poe = [
            (4, "ether4", int(knob("poe_status") or 3), 240, 150, 36),
            (5, "ether5", 2, 0, 0, 0),
        ]
        for idx, name, *values in poe:
            rows.append((f"{MTXR}.15.1.1.2.{idx}", "string", name))
            for col, val in zip(range(3, 7), values):
                rows.append((f"{MTXR}.15.1.1.{col}.{idx}", "integer", str(val)))
    return sorted(rows, key=lambda r: key(r[0]))


def key(oid):
    return tuple(int(x) for x in oid.strip(".").split(".") if x)


def out(*lines):
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()


def main():
    while True:
        cmd = sys.stdin.readline()
        if not cmd:
            break
        cmd = cmd.strip()
        if cmd == "PING":
            out("PONG")
            continue
        oid = sys.stdin.readline().strip()
        if cmd == "set":
            sys.stdin.readline()
            out("not-writable")
            continue
        rows = table()
        if cmd == "get":
            hit = [r for r in rows if r[0] == oid]
        elif cmd == "getnext":
            hit = [r for r in rows if key(r[0]) > key(oid)][:1]
        else:
            hit = []
        out(*hit[0]) if hit else out("NONE")


main()
