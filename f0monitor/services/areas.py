"""Provinces and wards of Vietnam (after the 2025 reform), from the vietnam-provinces package."""

from __future__ import annotations

from functools import cache

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from ..domain.textfold import fold


@cache
def provinces() -> tuple[tuple[int, str], ...]:
    """Return (code, name) of every province, sorted by name."""
    items = [(int(p.code), p.name) for p in Province.iter_all()]
    return tuple(sorted(items, key=lambda item: _sort_key(item[1])))


@cache
def wards(province_code: int) -> tuple[tuple[int, str], ...]:
    """Return (code, name) of every ward or commune of a province, sorted by name."""
    items = [(int(w.code), w.name) for w in Ward.iter_all() if int(w.province_code) == province_code]
    return tuple(sorted(items, key=lambda item: _sort_key(item[1])))


@cache
def _ward_index() -> dict[int, tuple[str, int]]:
    return {int(w.code): (w.name, int(w.province_code)) for w in Ward.iter_all()}


def province_name(code: int | None) -> str:
    """Return a province's name, or an empty string for an unknown code."""
    if code is None:
        return ""
    try:
        return Province.from_code(ProvinceCode(code)).name
    except (ValueError, KeyError):
        return ""


def ward_name(code: int | None) -> str:
    """Return a ward's name, or an empty string for an unknown code."""
    entry = _ward_index().get(code) if code is not None else None
    return entry[0] if entry else ""


def is_province(code: int) -> bool:
    """Tell whether a code is a province."""
    try:
        ProvinceCode(code)
    except ValueError:
        return False
    return True


def ward_in_province(ward_code: int, province_code: int) -> bool:
    """Tell whether a ward belongs to a province."""
    entry = _ward_index().get(ward_code)
    return entry is not None and entry[1] == province_code


def _sort_key(name: str) -> str:
    # Sort "Phường Long Xuyên" under L, not under "Phường": people look up the proper name.
    for prefix in ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ", "Thị trấn "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    # Compare without diacritics so "Đ" sorts with "D" and "Ă" with "A", as people expect.
    return fold(name)


__all__ = ["WardCode", "provinces", "wards", "province_name", "ward_name", "ward_in_province"]
