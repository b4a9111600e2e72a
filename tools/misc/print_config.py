"""Print a config with its whole ``_base_`` chain merged in.

Overrides are checked as the train/test tools check them (see
``mmfewshot.utils.check_cfg_options``); a refused one is reported as one
line ``print_config: error: ...`` with exit status 2.
"""
import argparse
import sys

from mmfewshot.utils import add_cfg_options_arg, load_config, user_errors


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Print the merged config')
    parser.add_argument('config', help='config file path')
    add_cfg_options_arg(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with user_errors('print_config'):
        cfg = load_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
