"""Language identification with langdetect, seeded so that results are deterministic."""
from __future__ import annotations

import threading

from vnclean.tasks.ingest import vietnamese_ratio

_LOCK = threading.Lock()
_FACTORY_READY = False


def script_language(text: str) -> str | None:
    """Languages told apart by their script alone (langdetect calls short Chinese Korean)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    han = sum("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in letters)
    hangul = sum("\uac00" <= c <= "\ud7af" for c in letters)
    kana = sum("\u3040" <= c <= "\u30ff" for c in letters)
    if hangul > len(letters) * 0.3:
        return "ko"
    if kana > len(letters) * 0.1:
        return "ja"
    if han > len(letters) * 0.5:
        return "zh"
    return None


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text ('vi', 'en', 'zh', ...), 'und' when it cannot be told.

    Text rich in Vietnamese-only letters is Vietnamese without asking the model.
    """
    global _FACTORY_READY
    sample = " ".join(text.split())[:5000]
    if len(sample) < 20:
        return "und"
    if vietnamese_ratio(sample) > 0.08:
        return "vi"
    script = script_language(sample)
    if script:
        return script
    from langdetect import DetectorFactory, detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    with _LOCK:  # langdetect's factory is global; seed it once, detect under a lock
        if not _FACTORY_READY:
            DetectorFactory.seed = 0
            detector_factory.init_factory()
            _FACTORY_READY = True
        try:
            detector = detector_factory._factory.create()
            detector.append(sample)
            code = detector.detect()
        except LangDetectException:
            return "und"
    return {"zh-cn": "zh", "zh-tw": "zh"}.get(code, code)
