"""The `eelbert` command (also `python -m eelbert_tf`). The only module that parses flags and prints."""

from __future__ import annotations

import argparse
import json
import sys


def _cmd_info(args) -> int:
    from eelbert_tf.models.model_info import model_info

    info = model_info(args.preset)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    p, b = info["parameters"], info["bytes"]
    print(f"preset            {info['preset']}  ({info['config']['embedding_type']} embedding)")
    print(f"embedding params  {p['embedding']:>12,}  (token embedding {p['token_embedding']:,})")
    print(f"encoder params    {p['encoder']:>12,}")
    print(f"pooler params     {p['pooler']:>12,}")
    print(f"total params      {p['total']:>12,}")
    print(f"float32 bytes     {b['float32']:>12,}  ({b['float32'] / 2**20:.2f} MiB)")
    print(f"int8 bytes        {b['int8']:>12,}  ({b['int8'] / 2**20:.2f} MiB)")
    for other, ratio in info.get("ratio_to_bert", {}).items():
        print(f"{other} / this    {ratio:>12.2f}x")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from eelbert_tf.models.presets import BACKBONE_PRESETS

    parser = argparse.ArgumentParser(prog="eelbert", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="parameter counts and sizes of a preset")
    info.add_argument("--preset", required=True, choices=sorted(BACKBONE_PRESETS), metavar="NAME")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
