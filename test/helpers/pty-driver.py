#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as a person at a terminal would, for tests of interactive views.

Usage: pty-driver.py <script.json>
The script is {"argv": [...], "cwd": "...", "env": {...}, "columns": 100, "rows": 30,
"timeout": 60, "steps": [{"expect": "text"} | {"send": "keys"}]}. An `expect` step waits until the
text has appeared in what the program wrote since the previous `send` (never a fixed sleep); a `send`
step writes the keys to the terminal. At the end the driver waits for the program to exit.
Prints one JSON object: {"status": exit code or null, "output": everything written, "failed": why or null}.
"""
import fcntl
import json
import os
import pty
import select
import struct
import sys
import termios
import time


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        script = json.load(f)
    timeout = float(script.get("timeout", 60))
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(script["cwd"])
        env = dict(os.environ)
        env.update(script.get("env", {}))
        os.execvpe(script["argv"][0], script["argv"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", script.get("rows", 30), script.get("columns", 100), 0, 0))
    output = bytearray()
    since = 0
    failed = None

    def read_some(wait: float) -> bool:
        """Reads what is there within `wait` seconds; False once the program has closed the terminal."""
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        output.extend(data)
        return True

    open_ = True
    for step in script["steps"]:
        if "expect" in step:
            wanted = step["expect"].encode("utf-8")
            deadline = time.monotonic() + timeout
            while wanted not in output[since:]:
                if not open_ or time.monotonic() > deadline:
                    failed = f"never saw {step['expect']!r}"
                    break
                open_ = read_some(0.2)
            if failed:
                break
        elif "send" in step:
            since = len(output)
            os.write(fd, step["send"].encode("utf-8"))
    status = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if open_:
            open_ = read_some(0.2)
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
            while open_:
                open_ = read_some(0.2) and open_
                if select.select([fd], [], [], 0)[0] == []:
                    break
            break
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        failed = failed or "the program did not exit"
    print(json.dumps({"status": status, "output": output.decode("utf-8", "replace"), "failed": failed}))


main()
