"""Child process of `columnar.read_frame` for SQLite: run one query with connectorx and write
the result as an Arrow IPC file. Started as a plain script (not `-m`) so that it imports nothing
of wulian: usage `python cxread.py URI OUT < SQL`."""

import sys

import connectorx


def main() -> None:
    uri, out = sys.argv[1], sys.argv[2]
    frame = connectorx.read_sql(uri, sys.stdin.read(), return_type="polars")
    frame.write_ipc(out, compression="uncompressed")


if __name__ == "__main__":
    main()
