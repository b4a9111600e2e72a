__version__ = '1.0.0'


def parse_version_info(version_str: str) -> tuple:
    """Split a version string like ``1.0.0rc1`` into a comparable tuple."""
    parts = []
    for piece in version_str.split('.'):
        if piece.isdigit():
            parts.append(int(piece))
        elif 'rc' in piece:
            number, rc = piece.split('rc')
            parts.extend([int(number), f'rc{rc}'])
    return tuple(parts)


version_info = parse_version_info(__version__)
