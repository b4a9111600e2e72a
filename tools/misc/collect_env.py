"""Print the environment mmfewshot runs in (versions, CUDA, compiler)."""
from mmfewshot.utils import collect_env


def main() -> None:
    for name, value in collect_env().items():
        print(f'{name}: {value}')


if __name__ == '__main__':
    main()
