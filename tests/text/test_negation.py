from __future__ import annotations

from service.text import Negator, Segmenter

SEG = Segmenter(["互为供方"])
NEG = Negator()


def _negated(sentence: str, phrase: str) -> bool:
    tokens = SEG.tokens(sentence)
    start = sentence.index(phrase)
    return NEG.scope(tokens).covers(start, start + len(phrase))


def test_plain_negation_covers_what_follows() -> None:
    assert _negated("内部客户关系不是相互的", "相互")
    assert _negated("服务并非义务", "义务")


def test_negation_ends_at_contrast() -> None:
    assert not _negated("不是单向的，而是相互的", "相互")
    assert not _negated("不是单向的而是相互的", "相互")


def test_words_that_only_look_negative_do_not_negate() -> None:
    assert not _negated("不仅上级是客户，下级也是客户", "上级")
    assert not _negated("不只是上级，下级也是客户", "下级")
    assert not _negated("他们的配合不可或缺，服务是义务", "义务")


def test_a_phrase_containing_the_negator_is_not_negated_by_it() -> None:
    assert not _negated("关系不是单向的", "不是单向")


def test_double_negation_cancels() -> None:
    assert not _negated("不能不提供服务", "提供服务")


def test_a_sentence_without_any_negating_word_has_an_empty_scope() -> None:
    assert not NEG.scope(SEG.tokens("上级和下级互为供方，各自提供服务"))
    assert NEG.scope(SEG.tokens("上级和下级并非互为供方"))
    assert NEG.scope(SEG.tokens("说上级只是客户是错误的"))  # a post-negator alone


def test_a_modal_negator_with_its_own_predicate_forbids_what_follows_not_what_precedes() -> None:
    # "不能 + verb" forbids that action; the terms listed before it are not denied.
    listed = "单位里有上下级、部门、前后岗位之间的关系不能随便理解"
    assert not _negated(listed, "前后岗位")
    assert _negated(listed, "随便理解")
    # Its scope ends where another modal starts a new predicate.
    assert not _negated("不能只看一面要看到双方互为供方", "互为供方")
    # At the end of its clause it still judges what precedes, like other negators.
    assert _negated("上级永远是客户是不对的", "上级永远是客户")


def test_a_negated_failure_praises_the_work_it_does_not_deny_it() -> None:
    def denied(sentence: str, phrase: str) -> bool:
        start = sentence.index(phrase)
        span = (start, start + len(phrase))
        return NEG.scope(SEG.tokens(sentence), [span]).covers(*span)

    # "不出错" says the service is done well: the rest of its clause is not denied.
    assert not denied("经理要的是服务不出错", "服务")
    assert not denied("我按时交活，不耽误后面的工序", "后面的工序")
    # Other predicates after the negator are still denied.
    assert denied("我按时交活，不配合后面的工序", "后面的工序")


def test_not_causing_trouble_to_someone_spares_them_it_denies_nothing() -> None:
    # "不给下一道添麻烦": the work is done for the next step, with or without the one spared named between.
    assert not _negated("温度时间都卡准，不给下一道添麻烦", "下一道")
    assert not _negated("把自己这段干好，别给后面的人添堵", "后面的人")
    assert not _negated("我们班组从不拖后腿", "我们班组")
    # Something else withheld from them is still denied; trouble in another clause changes nothing.
    assert _negated("我不给下一道提供资料", "下一道")
    assert _negated("我不给下一道提供资料，结果添麻烦", "下一道")


def test_a_negator_that_opens_a_purpose_denies_what_follows_not_the_action_before_it() -> None:
    # "…so that they need not redo it": keeping a harm from the next step cares for it; nothing is denied.
    assert not _negated("我们把零件做好交给下道工序不让他们返工", "交给下道工序")
    assert not _negated("我们把零件做好交给下道工序不让他们返工", "他们")
    assert not _negated("我不想让后面的同事因为我返工", "后面的同事")
    # The passive still denies the harm that follows it.
    assert _negated("保护他人不受伤害", "伤害")
    assert not _negated("保护他人不受伤害", "保护他人")
    assert not _negated("领导要支持员工不被打扰", "支持员工")
    # A plain negator still denies its clause's subject ("部门之间不配合" states no cooperation between them).
    assert _negated("部门之间不配合", "部门之间")
    assert _negated("上级从不需要下级的配合", "上级")


def test_a_copula_denies_what_it_says_the_subject_is_not_the_subject() -> None:
    # "The next step is no outsider: they are my customer" states the process relation.
    assert not _negated("下一道工序不是外人", "下一道工序")
    assert _negated("下一道工序不是我的客户", "客户")
    assert not _negated("要求别人服务也不是添麻烦", "要求别人服务")
    assert not _negated("我们车间和仓库并不是谁管谁的关系", "车间和仓库")
    # With nothing after it, the copula still denies what precedes.
    assert _negated("上级是客户，下级不是", "下级")


def test_not_only_permanence_and_regardless_do_not_deny() -> None:
    assert not _negated("领导也不是只管下命令", "领导")
    assert not _negated("领导也不是只管下命令", "下命令")
    assert not _negated("工作中没有绝对的客户和供方", "客户")
    assert not _negated("没人是永远的客户", "客户")
    assert not _negated("不分上下级，大家都是彼此的客户", "上下级")
    assert not _negated("该我要的也不怕开口要", "开口要")


def test_a_condition_denies_nothing() -> None:
    # "If the superior gives no resources, we cannot work": a dependence, not a denial of the resources.
    assert not _negated("如果上级不给资源，下级也干不好", "资源")
    assert not _negated("仓库不给我们及时发料，我们就没法生产", "发料")
    # Without a consequence after it, the clause denies as before.
    assert _negated("仓库不给我们及时发料", "发料")
    # Engine 0.9.18: the word of condition after a connective and a subject, and a condition running on
    # over several clauses to its consequence in the last one.
    long = "但组长如果只管要数字，不给话术培训、不给排课支持，我们也做不出来"
    assert not _negated(long, "培训") and not _negated(long, "支持")
    assert _negated("组长只管要数字，不给话术培训、不给排课支持，我们也做不出来", "支持")
    # Engine 0.9.19: the clause that holds the consequence still states the condition before it.
    assert not _negated("如果组长只管派活，不给资源我们就得停工", "资源")
    assert _negated("组长只管派活，不给资源", "资源")
    # Engine 0.9.23: what a condition opened with a word of condition would lead to is as hypothetical
    # ("如果人人都只当客户，部门之间就没法配合" warns; it denies no cooperation). A consequence after a
    # clause that is a condition only by what follows it keeps its negations.
    assert not _negated("如果人人都只当客户，部门之间就没法配合", "配合")
    assert not _negated("要是谁都只顾自己就不会有配合", "配合")
    assert _negated("仓库不给我们及时发料，我们就没法配合", "配合")


def test_a_negation_in_text_run_on_without_punctuation_reaches_only_nearby_words() -> None:
    run_on = "这不是小事我跟班长说了他马上就去找车间主任要资源"
    assert _negated(run_on, "小事")
    assert not _negated(run_on, "车间主任")
    assert not _negated(run_on, "资源")
    before = "我们组每次都按时把报表交给财务部门可是上个月有一张数据不对"
    assert _negated(before, "一张数据")
    assert not _negated(before, "财务部门")


def test_no_one_is_only_a_customer_denies_the_only_not_the_customer() -> None:
    assert not _negated("没有谁光是客户，大家都要互相服务", "客户")
    assert not _negated("没有人只是客户", "客户")
    assert _negated("没有人是客户", "客户")
    # "Which department" or "which side" reads as "who" does.
    assert not _negated("今天你等我，明天我等你，没有哪个部门是光享受服务的", "享受服务")
    assert _negated("没有哪个部门是我们的客户", "客户")


def test_a_verdict_after_a_list_joined_by_enumeration_commas_covers_every_item() -> None:
    assert _negated("部门之间互为客户、互为供方也是错误的", "互为客户")
    assert _negated("部门之间互为客户、互为供方也是错误的", "互为供方")
    # A negator inside the list still governs only its own item.
    assert not _negated("上级不是外人、下级也是客户", "下级也是客户")


def test_non_closing_a_clause_with_bu_ke_affirms_rather_than_denies() -> None:
    """非……不可 / 不行 / 不成 is "bound to": 环节非卡死不可 says the steps will jam."""
    assert not _negated("要是谁都只想着自己，各个环节非卡死不可。", "卡死")
    assert not _negated("这样下去部门之间非扯皮不行了", "扯皮")
    # Not when the clause goes on: 非 still denies what follows it.
    assert _negated("非本部门人员不可进入库房", "本部门人员")


def test_hard_to_say_denies_nothing() -> None:
    assert not _negated("在我们组里，谁是谁的客户说不准", "客户")
    assert not _negated("今天谁服务谁说不好", "服务")
    assert _negated("他说不好好干的人要扣钱", "好好")


def test_a_negator_inside_what_not_only_rejects_denies_nothing() -> None:
    """不能只当客户不当供方 rejects being a customer and never a supplier: the second 不 is part of that
    view. 不能说只有 reads "not only" too, across the verb of saying."""
    assert not _negated("谁都不能只当客户不当供方", "供方")
    assert not _negated("不能说只有后面的是客户，前面的人也需要反馈", "客户")
    assert _negated("不能说这是客户", "客户")


def test_dare_not_reports_holding_back_and_denies_nothing() -> None:
    """不敢提 says someone holds back from asking, not that asking is wrong or untrue."""
    assert not _negated("下面的人有困难也不敢提要求", "提要求")
    assert not _negated("才不会该干的不干、该要的不敢要", "敢要")


def test_never_skimping_denies_the_skimping_not_the_duty_before_it() -> None:
    """绝不含糊, like 不马虎, says the work is done properly: it is no verdict on the clause before it."""
    tokens = SEG.tokens("该我干的我绝不含糊，我需要的我也直接开口。")
    assert not NEG.scope(tokens).covers(0, 4)


def test_each_item_of_a_list_of_undone_actions_before_a_consequence_is_a_condition() -> None:
    """他不把纸调来、不把人排好,我们就只能干等: each item states what the work depends on; none denies."""
    sentence = "可他不把纸张调来、不把夜班人排好、不告诉我们哪批先走，我们就只能干等。"
    assert not _negated(sentence, "纸张")
    assert not _negated(sentence, "夜班人")
    assert not _negated(sentence, "告诉我们")
    # Without a consequence after them, the items stay denials.
    assert _negated("他不把纸张调来、不把夜班人排好。", "纸张")


def test_a_condition_opened_by_a_word_the_segmenter_splits_is_still_a_condition() -> None:
    """真要 (if really) splits into 真 要; its consequence warns of what would happen and denies nothing."""
    sentence = "真要人人都只当自己是客户，班组之间信息就不往下传了。"
    assert not _negated(sentence, "班组之间")
    # Stated, not supposed, the same words deny.
    assert _negated("人人都只当自己是客户，班组之间信息就不往下传了。", "班组之间")


def test_a_denial_the_segmenter_splits_before_a_consequence_stays_a_denial() -> None:
    """不存在 before a noun is cut 不 / 存在: "不存在领导反过来为我服务的说法,那样就乱套了" denies the reverse
    relation and names the chaos it would bring; it states no condition."""
    sentence = "不存在领导反过来为我服务的说法，那样就乱套了。"
    assert _negated(sentence, "反过来为我服务")
    # An action not done before a consequence is still a condition.
    assert not _negated("领导不给我们配人手，那样就乱套了。", "配人手")


def test_a_clause_that_rejects_a_saying_denies_the_statement_it_refers_to() -> None:
    """……,这种说法是错的 / ……这种想法我不认同: the rejection reaches back to the statement it names."""
    assert _negated("领导交办的事要办好，上级也要为下级服务，这种说法是错的。", "为下级服务")
    assert _negated("上级为下级服务这种说法我不认同。", "上级")
    # What comes before the statement is not rejected with it.
    assert not _negated("领导交办的事要办好，上级也要为下级服务，这种说法是错的。", "领导交办")
    # A rejected "only" denies the "only", not what it limits; agreeing with a saying denies nothing.
    assert not _negated("只认自己是被服务的，这种想法不对。", "被服务")
    assert not _negated("后一个环节就是前一个环节的客户，这话一点不假。", "客户")


def test_an_undone_action_and_its_consequence_in_one_clause_make_a_condition() -> None:
    """前面的活没干完后面的就干不了: with no mark before 就, the undone action is still the condition."""
    assert not _negated("前面的活没干完后面的就干不了。", "后面")
    assert not _negated("前面的活没干完后面的就干不了。", "前面")
    # A denial before the consequence stays a denial.
    assert _negated("下级没有权利就只能听上级的。", "权利")


def test_not_until_advises_acting_sooner_and_denies_nothing() -> None:
    """别等都装上去了再拆 (don't wait until it is all fitted to take it apart): advice on timing."""
    assert not _negated("下一拨人发现问题也得早吱声，别等都装上去了再拆。", "等")
    assert not _negated("别等客户投诉了才去改。", "投诉")
    # Without a "then" (再/才) it is a plain prohibition.
    assert _negated("不要等他。", "等")


def test_a_clause_before_otherwise_states_a_rule_and_its_negation_denies() -> None:
    """这个关系不能倒过来，不然就乱套了: "otherwise" gives what follows if the rule before is broken; the
    clause before is no condition, so its negation denies."""
    assert _negated("这个关系不能倒过来，不然就乱套了。", "倒过来")
    assert _negated("上级不需要为下级服务，否则就乱了套。", "为下级服务")
    # A clause followed by a plain consequence is still a condition.
    assert not _negated("上级不给资源，下级就没法干。", "资源")


def test_forbidding_a_one_sided_view_denies_nothing_of_what_follows() -> None:
    """不能片面地认为只有上级是客户 warns against seeing it one way; it does not deny the one-sidedness
    it names, nor the statement after it."""
    assert not _negated("不能片面地理解内部客户。", "片面")
    assert not _negated("不能片面的认为只有上级是下级的客户。", "上级")
    assert not _negated("不要单方面地看待部门之间的关系。", "部门")
    # Saying something is not one-sided, or forbidding a one-sided act, still denies.
    assert _negated("这种理解并不片面。", "片面")
    assert _negated("谁也不能片面地只顾自己。", "只顾自己")


def test_what_others_say_rejected_in_ones_own_voice_is_denied() -> None:
    """有人说内部客户是互相的，我不太同意: the speaker denies what was reported, not the reporting."""
    assert _negated("有人说内部客户是互相的，我不太同意。", "互相")
    assert not _negated("有人说内部客户是互相的，我不太同意。", "有人说")
    assert _negated("很多人认为上级也要为下级服务，但我不同意。", "为下级服务")
    scope = NEG.scope(SEG.tokens("有人说内部客户是互相的，我不太同意。"))
    assert scope.reports
    # Agreeing denies nothing; nor does rejecting an "only" deny what it limits; nor a rejection with no
    # report before it reach back.
    assert not _negated("有人说内部客户是互相的，我很同意。", "互相")
    assert not _negated("有人觉得只有上级是客户，我可不这么看。", "上级")
    assert not _negated("内部客户是互相的，我不太同意。", "互相")


def test_not_this_but_that_denies_the_predicate_not_the_subject() -> None:
    """内部客户不是谁比谁高一等,而是看谁把东西交给谁: "A不是X,而是Y" says what A is instead."""
    sentence = "我觉得内部客户不是谁比谁高一等，而是看这件事上谁把东西交给谁。"
    # The rubric looks for 谁比谁 and 交给谁: a copula before such a phrase denies its subject too, unless
    # "rather" follows.
    phrases = [(sentence.index(p), sentence.index(p) + len(p)) for p in ("谁比谁", "交给谁")]
    scope = NEG.scope(SEG.tokens(sentence), phrases)
    start = sentence.index("内部客户")
    assert not scope.covers(start, start + 4)
    start = sentence.index("高一等")
    assert scope.covers(start, start + 3)
    plain = "我觉得内部客户不是谁比谁高一等。"
    start = plain.index("内部客户")
    assert NEG.scope(SEG.tokens(plain), [(plain.index("谁比谁"), plain.index("谁比谁") + 3)]).covers(start, start + 4)
