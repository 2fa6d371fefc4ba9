#!/usr/bin/env python3
"""The Windows client under Wine against a real Linux licd on loopback.

    tests/windows/run.py WINDOWS_BUILD LINUX_BUILD

WINDOWS_BUILD is scripts/build-windows.sh's directory (bin/ holds licd.dll, licclient.exe and
the examples), LINUX_BUILD a Linux build with tools/licd. Every check runs the Windows binaries
under Debian's wine64 and compares what they print and their exit status with what licd and the
protocol say; any mismatch fails the run (exit 1). Prints one line per check.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

WINE = "/usr/lib/wine/wine64"
# What the binaries may import: Windows' own DLLs (and, for the examples, licd.dll).
WINDOWS_DLLS = {"advapi32.dll", "bcrypt.dll", "crypt32.dll", "iphlpapi.dll", "kernel32.dll", "shell32.dll",
                "msvcrt.dll", "user32.dll", "ws2_32.dll"}

win_build, linux_build = sys.argv[1], sys.argv[2]
bin_dir = os.path.join(win_build, "bin")
licd_binary = os.path.join(linux_build, "tools", "licd")
licgen_binary = os.path.join(linux_build, "tools", "licgen")
licadmin_binary = os.path.join(linux_build, "tools", "licadmin")
source_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
work = tempfile.mkdtemp(prefix="licd-windows-")
env = dict(os.environ, WINEPREFIX=os.path.join(work, "wineprefix"), WINEDEBUG="-all", LANG="C.UTF-8",
           WINEDLLOVERRIDES="mscoree,mshtml=")  # no Mono or Gecko prompts in a fresh prefix
failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail), flush=True)
    if not ok:
        failures.append(name)


def wine(program, *args, timeout=60, extra_env=None, hostname=None):
    """Runs bin/PROGRAM under Wine; returns (exit status, stdout, stderr). With `hostname`, in a
    UTS namespace of its own where the computer has that name."""
    e = dict(env, **(extra_env or {}))
    argv = [WINE, os.path.join(bin_dir, program), *args]
    if hostname:
        argv = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, *argv]
    p = subprocess.run(argv, env=e, timeout=timeout, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def windows_path(path):
    """A Linux path as Wine's Z: drive shows it to a Windows program."""
    return "Z:" + path.replace("/", "\\")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Licd:
    """A real licd with the 5-seat demo product; by default a short TTL, so that a held seat
    renews every 3 s."""

    def __init__(self, *extra, ttl=9, name="licd-data", discovery_port=0):
        self.data = os.path.join(work, name)
        self.ttl = ttl
        self.discovery_port = discovery_port
        self.port = free_port()
        self.extra = list(extra)
        self.proc = None

    def start(self):
        self.log = open(os.path.join(work, "licd.log"), "a")
        self.proc = subprocess.Popen(
            [licd_binary, "--demo", "--allow-root", "--create-data-dir", "--data-dir=" + self.data,
             "--bind=127.0.0.1", f"--port={self.port}", "--admin-port=0",
             f"--discovery-port={self.discovery_port}",
             f"--lease-ttl={self.ttl}", *self.extra], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("licd did not start; see " + self.log.name)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    @property
    def server(self):
        return f"127.0.0.1:{self.port}"


def used(server, product="demo", *tls):
    status, out, err = wine("licclient.exe", "--server=" + server, *tls, "--json", "status",
                            product)
    if status != 0:
        raise RuntimeError("status failed: " + out + err)
    return {p["product"]: p["used"] for p in json.loads(out)["products"]}[product]


def imported_dlls(path):
    out = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", path], capture_output=True,
                         text=True, check=True).stdout
    return {m.lower() for m in re.findall(r"DLL Name: (\S+)", out)}


def exported_functions(path):
    out = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", path], capture_output=True,
                         text=True, check=True).stdout
    table = out.split("[Ordinal/Name Pointer] Table", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"\]\s+(\w+)", table))


def main():
    # The client's unit tests built for Windows: the portable part of the Linux suite and the
    # Windows platform's own (UTF-16, files, folders, machine facts, the waker).
    status, out, err = wine("licd_windows_tests.exe", timeout=300)
    check("the client's unit tests pass under Wine", status == 0 and "All tests passed" in out,
          out[-3000:] + err[-2000:])
    # The binaries import only Windows' DLLs: the MinGW runtime and OpenSSL are linked in.
    for program in ("licd.dll", "licclient.exe"):
        extra = imported_dlls(os.path.join(bin_dir, program)) - WINDOWS_DLLS
        check(f"{program} imports only Windows' DLLs", not extra, f"also imports {sorted(extra)}")
    for program in ("hold_seat_c.exe", "hold_seat_cpp.exe"):
        extra = imported_dlls(os.path.join(bin_dir, program)) - WINDOWS_DLLS - {"licd.dll"}
        check(f"{program} imports licd.dll and Windows' DLLs only", not extra, f"{sorted(extra)}")
    # licd.dll exports exactly the C API of include/licd/client.h.
    with open(os.path.join(source_dir, "include", "licd", "client.h")) as f:
        declared = set(re.findall(r"\b(licd_[a-z_]+)\(", f.read()))
    exported = exported_functions(os.path.join(bin_dir, "licd.dll"))
    check("licd.dll exports the C API of client.h and nothing else", exported == declared,
          f"exported {sorted(exported)}, declared {sorted(declared)}")

    # Leases that nobody renews (licclient checkout exits) must outlive several Wine start-ups.
    licd = Licd(ttl=600, name="long-ttl")
    licd.start()
    try:
        lease_commands(licd)
        utf8_names(licd)
        lost_notice(licd)
    finally:
        licd.stop()
    licd = Licd()
    licd.start()
    try:
        examples(licd)
        the_zip(licd)
        reattach(licd)
        mode_config(licd)
    finally:
        licd.stop()
    tls()
    standalone()
    discovery()


def lease_commands(licd):
    s = "--server=" + licd.server
    status, out, err = wine("licclient.exe", s, "--json", "checkout", "demo", "--computer=ws-1")
    check("checkout under Wine", status == 0, out + err)
    got = json.loads(out) if status == 0 else {}
    lease = got.get("lease", "")
    check("the checkout's reply: a lease id, 1 of 5 seats",
          re.fullmatch(r"[0-9a-f]{32}", lease) is not None and got.get("used") == 1
          and got.get("seats") == 5 and got.get("expires_in") == 600, json.dumps(got))
    status, out, err = wine("licclient.exe", s, "--json", "renew", lease)
    check("renew under Wine", status == 0 and json.loads(out)["expires_in"] == 600, out + err)
    status, out, err = wine("licclient.exe", s, "--json", "release", lease)
    check("release under Wine", status == 0 and json.loads(out)["released"] is True, out + err)
    check("the seat is free again", used(licd.server) == 0)
    status, out, err = wine("licclient.exe", s, "--json", "renew", lease)
    check("renewing a released lease is refused: exit 3, UNKNOWN_LEASE",
          status == 3 and json.loads(out)["error"]["code"] == "UNKNOWN_LEASE", f"{status} {out}")

    # Five computers take the five seats; the sixth is denied.
    leases = []
    for i in range(5):
        status, out, _ = wine("licclient.exe", s, "--json", "checkout", "demo", f"--computer=pc{i}")
        if status == 0:
            leases.append(json.loads(out)["lease"])
    check("five computers hold the five seats", len(leases) == 5 and used(licd.server) == 5)
    status, out, err = wine("licclient.exe", s, "--json", "checkout", "demo", "--computer=pc5")
    check("the sixth computer is denied: exit 3, NO_SEATS",
          status == 3 and json.loads(out)["error"]["code"] == "NO_SEATS", f"{status} {out} {err}")
    for lease in leases:
        wine("licclient.exe", s, "release", lease)
    check("all five released", used(licd.server) == 0)
    status, out, err = wine("licclient.exe", "--server=127.0.0.1:1", "--json", "status")
    check("no server there: exit 4, UNREACHABLE",
          status == 4 and json.loads(out)["error"]["code"] == "UNREACHABLE", f"{status} {out}")


def utf8_names(licd):
    """A computer and user name in UTF-8 reach licd as they were typed (UTF-16 on Windows)."""
    name, user = "B\u00fcro-PC-\u65e5\u672c", "J\u00f6rg"
    status, out, err = wine("licclient.exe", "--server=" + licd.server, "--json", "checkout",
                            "demo", "--computer=" + name, "--user=" + user)
    check("checkout with a non-ASCII computer and user name", status == 0, out + err)
    listed = subprocess.run([licadmin_binary, "--data-dir=" + licd.data, "--json", "computers",
                             "list"], capture_output=True, text=True)
    computers = json.loads(listed.stdout).get("computers", []) if listed.returncode == 0 else []
    match = [c for c in computers if c.get("computer") == name]
    check("licd lists the computer and user by their UTF-8 names",
          len(match) == 1 and user in match[0].get("users", []), listed.stdout + listed.stderr)
    if status == 0:
        wine("licclient.exe", "--server=" + licd.server, "release", json.loads(out)["lease"])


def examples(licd):
    for program in ("hold_seat_c.exe", "hold_seat_cpp.exe"):
        p = subprocess.Popen([WINE, os.path.join(bin_dir, program), "demo", licd.server, "4"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        held_meanwhile = used(licd.server)
        out, err = p.communicate(timeout=60)
        check(f"{program} holds a seat through licd.dll",
              p.returncode == 0 and "holding demo lease" in out and held_meanwhile == 1,
              f"exit {p.returncode}, seats in use meanwhile {held_meanwhile}: {out} {err}")
        check(f"{program} gives the seat back at exit", used(licd.server) == 0)
    status, out, err = wine("hold_seat_cpp.exe", "no-such-product", licd.server)
    check("the C++ example reports UNKNOWN_PRODUCT through the C API's message",
          status == 1 and "UNKNOWN_PRODUCT" in err, f"{status} {out} {err}")


def the_zip(licd):
    """The zip a vendor gets: its files, and an application built from it alone with MinGW."""
    import glob
    import zipfile
    zips = glob.glob(os.path.join(win_build, "licd-client-*-windows-x64.zip"))
    check("build-windows.sh made the zip", len(zips) == 1, str(zips))
    if len(zips) != 1:
        return
    top = os.path.basename(zips[0])[:-len(".zip")]
    with zipfile.ZipFile(zips[0]) as z:
        names = set(z.namelist())
        z.extractall(work)
    wanted = {"bin/licd.dll", "bin/licclient.exe", "bin/hold_seat_c.exe", "bin/hold_seat_cpp.exe",
              "lib/licd.lib", "lib/licd.def", "include/licd/client.h", "include/licd/client.hpp",
              "examples/hold_seat.c", "examples/hold_seat.cpp", "README-windows.txt", "LICENSE"}
    missing = {w for w in wanted if f"{top}/{w}" not in names}
    check("the zip holds the DLL, import library, .def, headers, programs, examples, README",
          not missing, f"missing {sorted(missing)}")
    unpacked = os.path.join(work, top)
    app = os.path.join(unpacked, "bin", "vendor_app.exe")
    built = subprocess.run(["x86_64-w64-mingw32-g++-posix", "-std=c++17", "-static",
                            "-I", os.path.join(unpacked, "include"),
                            os.path.join(unpacked, "examples", "hold_seat.cpp"),
                            os.path.join(unpacked, "lib", "licd.lib"), "-o", app],
                           capture_output=True, text=True)
    check("an application builds from the zip alone (headers and licd.lib)",
          built.returncode == 0, built.stderr[-2000:])
    if built.returncode != 0:
        return
    p = subprocess.Popen([WINE, app, "demo", licd.server, "3"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    held = used(licd.server)
    out, err = p.communicate(timeout=60)
    check("it holds a seat with the zip's licd.dll",
          p.returncode == 0 and held == 1 and "holding demo lease" in out, f"{held} {out} {err}")


def lost_notice(licd):
    """An administrator's disconnect reaches a seat held under Wine between renewals: with a
    600 s TTL the next renewal is 200 s away, and the example holds for 6 s, so only the
    library's watch on the connection can tell it."""
    p = subprocess.Popen([WINE, os.path.join(bin_dir, "hold_seat_cpp.exe"), "demo", licd.server,
                          "6"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(2.5)
    listed = subprocess.run([licadmin_binary, "--data-dir=" + licd.data, "--json", "computers",
                             "list"], capture_output=True, text=True)
    computers = [c["computer"] for c in json.loads(listed.stdout).get("computers", [])
                 if c.get("leases")] if listed.returncode == 0 else []
    check("the example's computer holds a seat", len(computers) == 1, listed.stdout)
    if len(computers) != 1:
        p.kill()
        return
    subprocess.run([licadmin_binary, "--data-dir=" + licd.data, "--yes", "computers",
                    "disconnect", computers[0]], capture_output=True, check=True)
    out, err = p.communicate(timeout=60)
    check("the library reports the lost lease before the next renewal is due",
          "ended" in err and "still held: no" in out, out + err)
    check("the seat is free after the disconnect", used(licd.server) == 0)


def reattach(licd):
    """A seat held under Wine survives licd's SIGKILL and restart: same lease, one seat."""
    p = subprocess.Popen([WINE, os.path.join(bin_dir, "hold_seat_cpp.exe"), "demo", licd.server,
                          "20"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(3)
    before = used(licd.server)
    licd.kill()
    time.sleep(4)  # the client's renewals fail meanwhile (TTL 9 s, renewal every 3 s)
    licd.start()
    time.sleep(8)  # a renewal by lease id reaches the restarted licd
    after = used(licd.server)
    out, err = p.communicate(timeout=60)
    check("a seat held under Wine is kept through licd's SIGKILL and restart",
          p.returncode == 0 and before == 1 and after == 1 and "still held: yes" in out,
          f"exit {p.returncode}, seats {before} then {after}: {out} {err}")
    lease = re.search(r"holding demo lease ([0-9a-f]{32})", out)
    check("the same lease was renewed on the restarted licd, no second checkout",
          lease is not None and f"lease {lease.group(1)} renewed on {licd.server}" in err
          and "new lease" not in err, out + err)


def mode_config(licd):
    """The per-product mode config in the user's %APPDATA%\\licd\\client.conf."""
    status, out, err = wine("licclient.exe", "--json", "mode", "set", "demo", "standalone")
    got = json.loads(out) if status == 0 else {}
    path = got.get("file", "")
    check("mode set writes the user's file under %APPDATA%\\licd",
          status == 0 and re.search(r"(AppData\\Roaming|Application Data)\\licd\\client\.conf$",
                                    path) is not None, f"{status} {out} {err}")
    status, out, err = wine("licclient.exe", "--json", "mode", "show", "demo")
    shown = json.loads(out)["products"][0] if status == 0 else {}
    check("mode show reads it back", shown.get("mode") == "standalone"
          and shown.get("from") == path, out + err)
    status, out, err = wine("licclient.exe", "--server=" + licd.server, "--json", "checkout",
                            "demo")
    check("a stand-alone product takes no network seat: STANDALONE_MODE",
          status != 0 and json.loads(out)["error"]["code"] == "STANDALONE_MODE"
          and used(licd.server) == 0, f"{status} {out}")
    status, out, err = wine("licclient.exe", "mode", "set", "demo", "network")
    check("mode set back to network", status == 0, out + err)


def standalone():
    """A stand-alone license bound to this (Wine) machine's facts, in %ProgramData%\\licd."""
    keys = os.path.join(work, "vendor")
    subprocess.run([licgen_binary, "keygen", "--out=" + keys], check=True, capture_output=True)
    pub = windows_path(os.path.join(keys, "vendor.pub"))
    code = subprocess.run([licgen_binary, "issue", "--key=" + os.path.join(keys, "vendor.key"),
                           "--product=cad", "--seats=1", "--type=standalone"], check=True,
                          capture_output=True, text=True).stdout.strip()
    sa = ["--json", "standalone", "--vendor-key=" + pub]
    status, out, err = wine("licclient.exe", *sa, "add", code + " and some pasted text")
    check("a code with text pasted after it is refused, exit 3", status == 3, f"{status} {out}")
    status, out, err = wine("licclient.exe", *sa, "add", code)
    check("a stand-alone code is stored", status == 0 and json.loads(out)["product"] == "cad",
          out + err)
    stored = os.path.join(work, "wineprefix", "drive_c", "ProgramData", "licd", "standalone.json")
    check("in %ProgramData%\\licd\\standalone.json", os.path.exists(stored), stored)
    status, out, err = wine("licclient.exe", *sa, "check", "cad")
    check("not activated yet: the check fails, exit 3", status == 3, f"{status} {out}")
    status, out, err = wine("licclient.exe", *sa, "activate", "cad")
    request = json.loads(out)["request"] if status == 0 else ""
    check("the activation request is printed", request.startswith("LICD-"), out + err)
    response = subprocess.run([licgen_binary, "activate", "--key=" + os.path.join(keys, "vendor.key"),
                               request], capture_output=True, text=True).stdout.strip()
    status, out, err = wine("licclient.exe", *sa, "activate", "cad", "--response=" + response)
    check("the vendor's response activates it", status == 0
          and json.loads(out)["state"] == "active", out + err)
    status, out, err = wine("licclient.exe", *sa, "check", "cad")
    check("the check passes on this machine", status == 0 and json.loads(out)["ok"], out + err)
    # N-of-M: one factor changed (the computer name) is tolerated; two (and the MachineGuid) are
    # another machine.
    status, out, err = wine("licclient.exe", *sa, "check", "cad", hostname="renamed-pc")
    check("one factor changed (the computer name) is tolerated", status == 0, out + err)
    reg = ["reg", "add", "HKLM\\SOFTWARE\\Microsoft\\Cryptography", "/v", "MachineGuid",
           "/t", "REG_SZ", "/d", "00000000-1111-2222-3333-444444444444", "/f", "/reg:64"]
    old = subprocess.run([WINE, "reg", "query", "HKLM\\SOFTWARE\\Microsoft\\Cryptography", "/v",
                          "MachineGuid", "/reg:64"], env=env, capture_output=True, text=True).stdout
    old_guid = re.search(r"[0-9a-f]{8}-[0-9a-f-]{27}", old)
    subprocess.run([WINE, *reg], env=env, capture_output=True, check=True)
    status, out, err = wine("licclient.exe", *sa, "check", "cad", hostname="renamed-pc")
    check("the MachineGuid and the computer name changed: refused, exit 3",
          status == 3 and not json.loads(out)["ok"], f"{status} {out} {err}")
    if old_guid:
        reg[8] = old_guid.group(0)
        subprocess.run([WINE, *reg], env=env, capture_output=True, check=True)


def discovery():
    """Finding the server without being told: UDP discovery, and %LICD_SERVER%."""
    licd = Licd(name="discovery", discovery_port=free_port())
    licd.start()
    try:
        d = f"--discovery-port={licd.discovery_port}"
        status, out, err = wine("licclient.exe", d, "--discovery-target=127.0.0.1", "--json",
                                "servers")
        found = json.loads(out)["servers"] if status == 0 else []
        check("servers: discovery to a given address finds licd and its seats",
              [f["server"] for f in found] == [licd.server]
              and found[0]["products"] == [{"free": 5, "product": "demo", "seats": 5}],
              f"{status} {out} {err}")
        # No --server: a broadcast, kept on loopback (127.255.255.255): tests send nothing
        # beyond this machine.
        status, out, err = wine("licclient.exe", d, "--discovery-target=127.255.255.255",
                                "--json", "checkout", "demo")
        got = json.loads(out) if status == 0 else {}
        check("checkout finds the server by a loopback broadcast",
              status == 0 and used(licd.server) == 1, f"{status} {out} {err}")
        if status == 0:
            wine("licclient.exe", "--server=" + licd.server, "release", got["lease"])
        status, out, err = wine("licclient.exe", "--json", "status",
                                extra_env={"LICD_SERVER": licd.server})
        check("%LICD_SERVER% names the server", status == 0
              and json.loads(out)["products"][0]["product"] == "demo", f"{status} {out} {err}")
    finally:
        licd.stop()


def tls():
    """TLS with a pinned fingerprint and with a CA file (the self-signed certificate)."""
    data = os.path.join(work, "tls")
    os.makedirs(data)
    cert, key = os.path.join(data, "tls.crt"), os.path.join(data, "tls.key")
    made = subprocess.run([licd_binary, "--make-tls-cert", "--tls-cert=" + cert, "--tls-key=" + key,
                           "--tls-name=127.0.0.1", "--data-dir=" + data, "--allow-root"],
                          capture_output=True, text=True)
    pin = re.search(r"[0-9a-f]{64}", made.stdout.replace(":", "").lower())
    check("licd made a self-signed certificate", made.returncode == 0 and pin is not None,
          made.stdout + made.stderr)
    if pin is None:
        return
    licd = Licd("--tls-cert=" + cert, "--tls-key=" + key)
    licd.data = os.path.join(work, "tls-data")
    licd.start()
    try:
        s = "--server=" + licd.server
        status, out, err = wine("licclient.exe", s, "--tls-pin=" + pin.group(0), "--json",
                                "checkout", "demo")
        check("TLS with a pinned fingerprint", status == 0 and "lease" in json.loads(out),
              f"{status} {out} {err}")
        shutil.copy(cert, os.path.join(work, "wineprefix", "drive_c", "ca.crt"))
        status, out, err = wine("licclient.exe", s, "--tls-ca=C:\\ca.crt", "--json", "status")
        check("TLS verified against a CA file (a Windows path)",
              status == 0 and json.loads(out)["products"][0]["used"] == 1, f"{status} {out} {err}")
        status, out, err = wine("licclient.exe", s, "--tls-pin=" + "0" * 64, "--json", "status")
        check("a wrong pin is refused: exit 4, TLS_FAILED",
              status == 4 and json.loads(out)["error"]["code"] == "TLS_FAILED",
              f"{status} {out} {err}")
    finally:
        licd.stop()


try:
    main()
finally:
    subprocess.run(["/usr/lib/wine/wineserver", "-k"], env=env, check=False)
    shutil.rmtree(work, ignore_errors=True)
print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
