#!/usr/bin/env python3
# gen-random.py SEED COUNT: random strings (every Unicode class the pre-tokenizers care about,
# odd whitespace, contractions, chat markup) in the .inp format, for compare.sh.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import random
import sys

random.seed(int(sys.argv[1]))
pools = [
  "abcXYZ", "'s'S'll'LL're'VE'd'M't", "0123456789", "٣٤٥０１２²³½ⅫⅣ", " ", "  ", "\t", "\n", "\r\n", "\n\n",
  "\u3000", "\u00a0", "\u2002", "\u0085", "\u1680", "\u2028", "\u200b", "\u200d",
  "!?.,;:", "$+<=>^~|`", "()[]{}", "\"#%&*@\\/_-", "—–…“”‘’«»", "！？。，、：；（）",
  "你好世界人工智能的", "日本語のテキストカタカナ", "한국어텍스트", "ภาษาไทย", "русский", "Ελληνικά",
  "Tiếng Việt", "áéíóúñçü", "e\u0301a\u0308", "🙂👍🏽👨‍👩‍👧🇫🇷❤️", "∑∫√∞≈≠", "ꙮ𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\U0002a6d6\U00031350",
  "<|im_start|>", "<think>", "</s>", "<s>", "<|eot_id|>", "▁", "ŁĐß", "ǅǈ", "ªº",
]
def piece():
    p = random.choice(pools)
    k = random.randint(1, 3)
    return "".join(random.choice(p) if random.random() < 0.5 else p for _ in range(k))
out = []
for i in range(int(sys.argv[2])):
    s = "".join(piece() for _ in range(random.randint(1, 25)))
    out.append(s)
sys.stdout.write("".join(s + "\n__ggml_vocab_test__\n" for s in out))
